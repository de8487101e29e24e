# smp_spinlock: every vCPU takes a lwarx/stwcx. spinlock, increments a shared
# counter ITERATIONS times, and releases it (powernv profile, any number of vCPUs).
#
# All vCPUs start together at _start (docs/machine.md). Each one first counts
# itself in `arrived` (atomically), so vCPU 0 (PIR 0) knows how many to wait
# for: after its own share it spins until `finished` equals `arrived`, then
# stops at `done`. The others park in a `b .` loop at `park`.
# Expected: counter = ITERATIONS x vCPUs, exactly. (vCPU 0 can only count the
# vCPUs that started before it finished: true for any scheduler quantum below
# ITERATIONS x ~12 instructions; the default quantum is 10.)
    .set ITERATIONS, 1000
    .set SPR_PIR, 1023

    .text
    .org 0x1000
    .globl _start
_start:
    li      20, lock            # the lock word (a 128-byte granule of its own)
    li      21, counter
    li      22, arrived
    li      23, finished

    # Count this vCPU in.
1:  lwarx   5, 0, 22
    addi    5, 5, 1
    stwcx.  5, 0, 22
    bne-    1b

    li      24, ITERATIONS
    li      6, 1
loop:
    # Acquire: wait until the lock reads 0, then claim it with stwcx.
acquire:
    lwarx   5, 0, 20
    cmpwi   5, 0
    bne-    acquire
    stwcx.  6, 0, 20
    bne-    acquire
    isync                       # no access in the critical section before we own it
    # Critical section: a plain load/add/store, correct only under the lock.
    ld      7, 0(21)
    addi    7, 7, 1
    std     7, 0(21)
    # Release.
    lwsync                      # the counter's store is visible before the lock is free
    li      5, 0
    stw     5, 0(20)
    addi    24, 24, -1
    cmpdi   24, 0
    bne     loop

    # Count this vCPU out.
2:  lwarx   5, 0, 23
    addi    5, 5, 1
    stwcx.  5, 0, 23
    bne-    2b

    mfspr   8, SPR_PIR
    cmpdi   8, 0
    bne     park
    # vCPU 0: wait for everyone who arrived.
wait:
    lwz     5, 0(22)
    lwz     9, 0(23)
    cmpw    5, 9
    bne     wait
    sync
    .globl done
done:
    b       done

    .globl park
park:
    b       park

    .org 0x2000
    .globl lock
lock:       .long 0
    .org 0x2080
    .globl counter
counter:    .quad 0             # 8 bytes: ppcdbg trace --mem counter:8
    .org 0x2100
    .globl arrived
arrived:    .long 0
    .org 0x2180
    .globl finished
finished:   .long 0
    .org 0x2200
