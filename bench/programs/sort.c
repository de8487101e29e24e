/* Benchmark (c): a call-heavy C program: recursive quicksort and a bitwise CRC-32.
 * The repetition count is the doubleword at 0x1000 (patched by the benchmark);
 * each vCPU's array is passed in r3 (0x100000 + 4 KiB x vCPU index, see sort_start.S).
 * No globals, so no TOC is needed. */
typedef unsigned long u64;
typedef unsigned int u32;

#define COUNT (*(volatile u64 *)0x1000)
#define RESULT (*(volatile u64 *)0x1008)
#define N 256

static u32 __attribute__((noinline)) rnd(u32 *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void __attribute__((noinline)) swap(u32 *a, u32 *b)
{
    u32 t = *a;
    *a = *b;
    *b = t;
}

static long __attribute__((noinline)) partition(u32 *a, long lo, long hi)
{
    u32 pivot = a[hi];
    long i = lo;
    for (long j = lo; j < hi; j++) {
        if (a[j] < pivot) {
            swap(&a[i], &a[j]);
            i++;
        }
    }
    swap(&a[i], &a[hi]);
    return i;
}

static void __attribute__((noinline)) quicksort(u32 *a, long lo, long hi)
{
    while (lo < hi) {
        long p = partition(a, lo, hi);
        quicksort(a, lo, p - 1);
        lo = p + 1;
    }
}

static u32 __attribute__((noinline)) crc32(const u32 *a, long n)
{
    u32 crc = 0xFFFFFFFFu;
    for (long i = 0; i < n; i++) {
        crc ^= a[i];
        for (int k = 0; k < 4; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}

u64 bench_main(u32 *arr)
{
    u64 reps = COUNT;
    u32 seed = 1, acc = 0;
    for (u64 r = 0; r < reps; r++) {
        for (long i = 0; i < N; i++)
            arr[i] = rnd(&seed);
        quicksort(arr, 0, N - 1);
        acc ^= crc32(arr, N);
    }
    RESULT = acc;
    return acc;
}
