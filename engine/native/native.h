/* The state native blocks run on, shared by the dispatcher (runtime.c) and every
 * compiled block. Layout and meaning: engine/native/__init__.py. */
#include <stdint.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "native blocks assume a little-endian host"
#endif

typedef uint8_t u8;
typedef uint64_t u64;
typedef int64_t i64;
typedef __int128 i128;
typedef unsigned __int128 u128;

#define TLB_ENTRIES 64

struct tent {
    u64 epn;
    u64 gen;
    u8 *p;
};

struct st {
    u64 g[32];
    /* engine/native/translate.py STATE_ATTRS, in order */
    u64 cr, lr, ctr, cfar, so, ov, ca, ov32, ca32;
    u64 gdirty, adirty;  /* GPRs and attributes the blocks run may have written */
    i64 left_at;         /* -1, or the index of the instruction a block left before */
    u64 gen;             /* this call's generation of the page caches */
    u8 *(*miss)(struct st *, int kind, u64 epn);
    struct tent tlb[2][TLB_ENTRIES];
};

typedef u64 (*block_fn)(struct st *);

/* A host page for effective page epn (kind 0 loads, 1 stores), or NULL: the data
 * TLB's dict, looked up once per page in each call (nothing changes it meanwhile). */
static inline u8 *page(struct st *s, int kind, u64 epn) {
    struct tent *e = &s->tlb[kind][epn & (TLB_ENTRIES - 1)];
    if (e->gen == s->gen && e->epn == epn) return e->p;
    return s->miss(s, kind, epn);
}

static inline u64 ld64be(const u8 *p, u64 o) { u64 v; memcpy(&v, p + o, 8); return __builtin_bswap64(v); }
static inline u64 ld32be(const u8 *p, u64 o) { uint32_t v; memcpy(&v, p + o, 4); return __builtin_bswap32(v); }
static inline u64 ld16be(const u8 *p, u64 o) { uint16_t v; memcpy(&v, p + o, 2); return __builtin_bswap16(v); }
static inline u64 ld8be(const u8 *p, u64 o) { return p[o]; }
static inline u64 ld64le(const u8 *p, u64 o) { u64 v; memcpy(&v, p + o, 8); return v; }
static inline u64 ld32le(const u8 *p, u64 o) { uint32_t v; memcpy(&v, p + o, 4); return v; }
static inline u64 ld16le(const u8 *p, u64 o) { uint16_t v; memcpy(&v, p + o, 2); return v; }
static inline u64 ld8le(const u8 *p, u64 o) { return p[o]; }
static inline void st64be(u8 *p, u64 o, u64 v) { v = __builtin_bswap64(v); memcpy(p + o, &v, 8); }
static inline void st32be(u8 *p, u64 o, u64 v) { uint32_t w = __builtin_bswap32((uint32_t)v); memcpy(p + o, &w, 4); }
static inline void st16be(u8 *p, u64 o, u64 v) { uint16_t w = __builtin_bswap16((uint16_t)v); memcpy(p + o, &w, 2); }
static inline void st8be(u8 *p, u64 o, u64 v) { p[o] = (u8)v; }
static inline void st64le(u8 *p, u64 o, u64 v) { memcpy(p + o, &v, 8); }
static inline void st32le(u8 *p, u64 o, u64 v) { uint32_t w = (uint32_t)v; memcpy(p + o, &w, 4); }
static inline void st16le(u8 *p, u64 o, u64 v) { uint16_t w = (uint16_t)v; memcpy(p + o, &w, 2); }
static inline void st8le(u8 *p, u64 o, u64 v) { p[o] = (u8)v; }
