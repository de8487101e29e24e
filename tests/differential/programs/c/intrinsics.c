/* The <altivec.h> intrinsics as programmers use them (vec_* built-ins), compiled by gcc -O3
 * -mcpu=power9: permutes, merges, splats, saturating and widening arithmetic, conversions,
 * rounding, compares and predicates, loads and stores with element order.
 * Built by tests/differential/compiled_cases.py; results from OUT on are compared with
 * QEMU's at the end. */

#include <altivec.h>
#include <stdint.h>

#define OUT ((volatile uint64_t *)0x40000)
#define ROUNDS 6

static uint32_t seed = 0xC0FFEEu;

static uint32_t rnd(void)
{
    seed = seed * 1664525u + 1013904223u;
    return seed ^ (seed >> 13);
}

static volatile uint64_t *out = OUT;
static uint64_t acc;

static void mix(vector unsigned char v)
{
    vector unsigned long long d = (vector unsigned long long)v;
    acc = (acc ^ d[0]) * 0x100000001b3ull;
    acc = (acc ^ d[1]) * 0x100000001b3ull;
}

#define MIX(v) mix((vector unsigned char)(v))

static vector unsigned char rv(void)
{
    vector unsigned int w = {rnd(), rnd(), rnd(), rnd()};
    return (vector unsigned char)w;
}

static vector float rf(void)
{
    vector float f = {(float)(int32_t)rnd() / 65536.0f, (float)(rnd() % 1000) - 500.5f,
                      (float)(int32_t)rnd(), (float)(rnd() % 7) / 3.0f};
    return f;
}

static vector double rd(void)
{
    vector double d = {(double)(int32_t)rnd() / 3.0, (double)(int64_t)(((uint64_t)rnd() << 32) | rnd())};
    return d;
}

static void permutes(vector unsigned char a, vector unsigned char b)
{
    vector unsigned char p = vec_and(rv(), vec_splats((unsigned char)31));
    MIX(vec_perm(a, b, p));
    MIX(vec_mergeh(a, b));
    MIX(vec_mergel((vector unsigned short)a, (vector unsigned short)b));
    MIX(vec_mergeh((vector unsigned int)a, (vector unsigned int)b));
    MIX(vec_splat((vector unsigned int)a, 2));
    MIX(vec_splat(a, 11));
    MIX(vec_sld(a, b, 5));
    MIX(vec_reve((vector unsigned int)a));
    MIX(vec_revb((vector unsigned int)b));
    MIX(vec_sel(a, b, rv()));
    MIX(vec_pack((vector unsigned int)a, (vector unsigned int)b));
    MIX(vec_packs((vector signed int)a, (vector signed int)b));
    MIX(vec_packsu((vector signed short)a, (vector signed short)b));
    MIX(vec_unpackh((vector signed short)a));
    MIX(vec_unpackl((vector signed char)b));
    MIX(vec_xxpermdi((vector unsigned long long)a, (vector unsigned long long)b, 1));
}

static void integer(vector unsigned char a, vector unsigned char b)
{
    vector signed short sa = (vector signed short)a, sb = (vector signed short)b;
    vector unsigned int ua = (vector unsigned int)a, ub = (vector unsigned int)b;
    MIX(vec_adds(sa, sb));
    MIX(vec_subs(a, b));
    MIX(vec_adds(ua, ub));
    MIX(vec_avg(a, b));
    MIX(vec_max((vector signed int)a, (vector signed int)b));
    MIX(vec_min(a, b));
    MIX(vec_mule(sa, sb));
    MIX(vec_mulo(a, b));
    MIX(vec_msum(sa, sb, (vector signed int)ua));
    MIX(vec_msum(a, b, ub));
    MIX(vec_sum4s((vector signed char)a, (vector signed int)ub));
    MIX(vec_sums((vector signed int)a, (vector signed int)b));
    MIX(vec_sl(ua, ub));
    MIX(vec_sra(sa, (vector unsigned short)sb));
    MIX(vec_rl((vector unsigned long long)a, (vector unsigned long long)b));
    MIX(vec_cntlz(ua));
    MIX(vec_cnttz((vector unsigned long long)b));
    MIX(vec_popcnt(a));
    MIX(vec_absd(a, b));
    MIX(vec_cmpgt(sa, sb));
    MIX(vec_cmpeq(a, vec_splat(b, 3)));
    MIX(vec_cmpne(ua, ub));
    acc += vec_all_gt(a, b) + 2 * vec_any_eq(ua, ub) + 4 * vec_all_ne(sa, sb);
    acc += vec_first_match_index(a, b) + 16 * vec_first_mismatch_index(ua, ua);
}

static void floating(void)
{
    vector float fa = rf(), fb = rf();
    vector double da = rd(), db = rd();
    MIX(vec_madd(fa, fb, fa));
    MIX(vec_nmsub(fa, fb, fb));
    MIX(vec_re(fb));
    MIX(vec_rsqrte(vec_abs(fa)));
    MIX(vec_max(fa, fb));
    MIX(vec_cts(fa, 3));
    MIX(vec_ctu(fb, 0));
    MIX(vec_ctf((vector signed int)fb, 5));
    MIX(vec_floor(fa));
    MIX(vec_ceil(fb));
    MIX(vec_trunc(fa));
    MIX(vec_round(fb));
    MIX(vec_rint(da));
    MIX(vec_floor(db));
    MIX(vec_ceil(da));
    MIX(vec_trunc(db));
    MIX(vec_sqrt(vec_abs(da)));
    MIX(vec_div(da, db));
    MIX(vec_madd(da, db, da));
    MIX(vec_signed(da));
    MIX(vec_unsigned(db));
    MIX(vec_signed(fa));
    MIX(vec_double((vector signed long long)db));
    MIX(vec_float((vector signed int)fa));
    MIX(vec_doublee(fa));
    MIX(vec_floate(da));
    MIX(vec_cmpge(fa, fb));
    MIX(vec_cmplt(da, db));
    acc += vec_any_nan(fa) + 2 * vec_all_numeric(db) + 4 * vec_any_gt(fa, fb);
}

static void memory(vector unsigned char a)
{
    static unsigned char buf[64] __attribute__((aligned(16)));
    for (int i = 0; i < 64; i++) buf[i] = (unsigned char)(i * 7 + 3);
    MIX(vec_xl(3, buf));
    MIX(vec_xl_be(5, buf));
    MIX(vec_ld(16, buf));
    MIX(vec_xl_len(buf + 9, 11));
    vec_xst(a, 17, buf);
    vec_xst_be((vector unsigned int)a, 33, (unsigned int *)buf);
    vec_xst_len(a, buf + 50, 7);
    for (int i = 0; i < 64; i += 16) MIX(vec_ld(i, buf));
}

void run(void)
{
    for (int r = 0; r < ROUNDS; r++) {
        vector unsigned char a = rv(), b = rv();
        permutes(a, b);
        integer(a, b);
        floating();
        memory(a);
        *out++ = acc;
    }
}
