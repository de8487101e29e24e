/* Ordinary loops as gcc -O3 -mcpu=power9 vectorises them: conversions between integers,
 * single and double precision, rounding, integer arithmetic, reductions, selects.
 * Built by tests/differential/compiled_cases.py; results are written from OUT on and
 * compared with QEMU's, with every register, at the end. */

#include <stdint.h>

#define N 64
#define OUT ((volatile uint64_t *)0x40000)

static uint32_t seed = 0x1234567u;

static uint32_t rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed ^ (seed >> 15);
}

static int32_t i32[N], o32[N], j32[N];
static int64_t i64[N], o64[N];
static uint32_t u32[N];
static uint64_t u64[N];
static float f32[N], g32[N], h32[N];
static double f64[N], g64[N], h64[N];
static int16_t i16[N], o16[N];
static uint8_t u8[N], v8[N];

/* Special values mixed into the floating-point inputs. */
static const uint32_t SPECIAL_F[] = {
    0x7fc00000u, 0xff800000u, 0x7f800000u, 0x80000000u, 0x00000001u, 0x4f000000u,
    0xcf000000u, 0x5f000000u, 0x3f000000u, 0xbfc00000u, 0x7f7fffffu, 0x4effffffu,
};
static const uint64_t SPECIAL_D[] = {
    0x7ff8000000000000ull, 0xfff0000000000000ull, 0x7ff0000000000000ull,
    0x8000000000000000ull, 0x0000000000000001ull, 0x43e0000000000000ull,
    0xc3e0000000000000ull, 0x41e0000000000000ull, 0x3fe0000000000000ull,
    0xc004000000000000ull, 0x7fefffffffffffffull, 0x4330000000000001ull,
};

static float bits_f(uint32_t b)
{
    union { uint32_t u; float f; } x = { b };
    return x.f;
}

static double bits_d(uint64_t b)
{
    union { uint64_t u; double d; } x = { b };
    return x.d;
}

static void fill(void)
{
    for (int i = 0; i < N; i++) {
        uint32_t r = rnd();
        i32[i] = (int32_t)r;
        j32[i] = (int32_t)(rnd() % 2001) - 1000;
        u32[i] = rnd();
        i64[i] = (int64_t)(((uint64_t)rnd() << 32) | rnd());
        u64[i] = ((uint64_t)rnd() << 32) | rnd();
        i16[i] = (int16_t)rnd();
        u8[i] = (uint8_t)rnd();
        v8[i] = (uint8_t)rnd();
        f32[i] = (float)((int32_t)(rnd() % 200001) - 100000) / 64.0f;
        g32[i] = (float)(rnd() % 1000) / 7.0f + 0.5f;
        f64[i] = (double)((int64_t)(rnd() % 2000001) - 1000000) / 1024.0;
        g64[i] = (double)(rnd() % 100000) / 3.0 + 0.25;
    }
    for (unsigned k = 0; k < sizeof SPECIAL_F / sizeof SPECIAL_F[0]; k++) {
        f32[5 * k + 1] = bits_f(SPECIAL_F[k]);
        f64[5 * k + 2] = bits_d(SPECIAL_D[k]);
    }
}

static volatile uint64_t *out = OUT;

static void emit(const void *p, unsigned bytes)
{
    const uint64_t *q = p;
    uint64_t sum = 0;
    for (unsigned i = 0; i < bytes / 8; i++)
        sum = (sum ^ q[i]) * 0x100000001b3ull;
    *out++ = sum;
}

static void conversions(void)
{
    for (int i = 0; i < N; i++) h32[i] = (float)i32[i];        /* xvcvsxwsp */
    emit(h32, sizeof h32);
    for (int i = 0; i < N; i++) h32[i] = (float)u32[i];        /* xvcvuxwsp */
    emit(h32, sizeof h32);
    for (int i = 0; i < N; i++) o32[i] = (int32_t)f32[i];      /* xvcvspsxws */
    emit(o32, sizeof o32);
    for (int i = 0; i < N; i++) u32[i] = (uint32_t)g32[i];     /* xvcvspuxws */
    emit(u32, sizeof u32);
    for (int i = 0; i < N; i++) h64[i] = (double)i64[i];       /* xvcvsxddp */
    emit(h64, sizeof h64);
    for (int i = 0; i < N; i++) h64[i] = (double)u64[i];       /* xvcvuxddp */
    emit(h64, sizeof h64);
    for (int i = 0; i < N; i++) o64[i] = (int64_t)f64[i];      /* xvcvdpsxds */
    emit(o64, sizeof o64);
    for (int i = 0; i < N; i++) u64[i] = (uint64_t)g64[i];     /* xvcvdpuxds */
    emit(u64, sizeof u64);
    for (int i = 0; i < N; i++) h64[i] = (double)f32[i];       /* xvcvspdp */
    emit(h64, sizeof h64);
    for (int i = 0; i < N; i++) h32[i] = (float)f64[i];        /* xvcvdpsp */
    emit(h32, sizeof h32);
    for (int i = 0; i < N; i++) o32[i] = (int32_t)g64[i];      /* xvcvdpsxws */
    emit(o32, sizeof o32);
    for (int i = 0; i < N; i++) h64[i] = (double)j32[i];       /* xvcvsxwdp */
    emit(h64, sizeof h64);
    for (int i = 0; i < N; i++) h32[i] = (float)i64[i];        /* xvcvsxdsp */
    emit(h32, sizeof h32);
}

static void rounding(void)
{
    for (int i = 0; i < N; i++) h64[i] = __builtin_floor(f64[i]);   /* xvrdpim */
    emit(h64, sizeof h64);
    for (int i = 0; i < N; i++) h64[i] = __builtin_ceil(f64[i]);    /* xvrdpip */
    emit(h64, sizeof h64);
    for (int i = 0; i < N; i++) h64[i] = __builtin_trunc(f64[i]);   /* xvrdpiz */
    emit(h64, sizeof h64);
    for (int i = 0; i < N; i++) h64[i] = __builtin_round(f64[i]);   /* xvrdpi */
    emit(h64, sizeof h64);
    for (int i = 0; i < N; i++) h32[i] = __builtin_floorf(f32[i]);  /* xvrspim */
    emit(h32, sizeof h32);
    for (int i = 0; i < N; i++) h32[i] = __builtin_ceilf(f32[i]);   /* xvrspip */
    emit(h32, sizeof h32);
    for (int i = 0; i < N; i++) h32[i] = __builtin_truncf(f32[i]);  /* xvrspiz */
    emit(h32, sizeof h32);
    for (int i = 0; i < N; i++) h32[i] = __builtin_roundf(f32[i]);  /* xvrspi */
    emit(h32, sizeof h32);
}

static void arithmetic(void)
{
    for (int i = 0; i < N; i++) h32[i] = f32[i] * g32[i] + h32[i];
    emit(h32, sizeof h32);
    for (int i = 0; i < N; i++) h64[i] = f64[i] / g64[i] - h64[i];
    emit(h64, sizeof h64);
    for (int i = 0; i < N; i++) h64[i] = __builtin_sqrt(g64[i]);
    emit(h64, sizeof h64);
    for (int i = 0; i < N; i++) h32[i] = f32[i] > g32[i] ? f32[i] : g32[i];
    emit(h32, sizeof h32);
    for (int i = 0; i < N; i++) o32[i] = i32[i] * j32[i] + (i32[i] >> 3);
    emit(o32, sizeof o32);
    for (int i = 0; i < N; i++) o64[i] = i64[i] * 3 - (i64[i] >> 7);
    emit(o64, sizeof o64);
    for (int i = 0; i < N; i++) o16[i] = (int16_t)(i16[i] * 5 + (i16[i] >> 2));
    emit(o16, sizeof o16);
    for (int i = 0; i < N; i++) {
        unsigned s = u8[i] + v8[i];
        v8[i] = s > 255 ? 255 : (uint8_t)s;                   /* saturating add */
    }
    emit(v8, sizeof v8);
    for (int i = 0; i < N; i++) u8[i] = (uint8_t)((u8[i] + v8[i] + 1) >> 1);  /* average */
    emit(u8, sizeof u8);
    for (int i = 0; i < N; i++) o32[i] = j32[i] < 0 ? -j32[i] : j32[i];
    emit(o32, sizeof o32);
    for (int i = 0; i < N; i++) u32[i] = (u32[i] << 7) | (u32[i] >> 25);
    emit(u32, sizeof u32);
    for (int i = 0; i < N; i++) u64[i] = (uint64_t)__builtin_popcountll(u64[i]);
    emit(u64, sizeof u64);
}

static void reductions(void)
{
    int64_t s = 0;
    for (int i = 0; i < N; i++) s += i32[i];
    out[0] = (uint64_t)s;
    int32_t m = j32[0];
    for (int i = 1; i < N; i++) m = j32[i] > m ? j32[i] : m;
    out[1] = (uint64_t)(int64_t)m;
    uint32_t x = 0;
    for (int i = 0; i < N; i++) x ^= u32[i];
    out[2] = x;
    int64_t dot = 0;
    for (int i = 0; i < N; i++) dot += (int64_t)i16[i] * o16[i];
    out[3] = (uint64_t)dot;
    float fs = 0;
    for (int i = 0; i < N; i++) fs += g32[i];
    out[4] = (uint64_t)(int64_t)(fs * 16.0f);
    out += 5;
}

void run(void)
{
    fill();
    conversions();
    rounding();
    arithmetic();
    reductions();
}
