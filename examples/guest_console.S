# guest_console: a guest (guest profile: MSR = SF|ME, HV=0, real mode) that
# prints through the H_PUT_TERM_CHAR hypercall and single-steps itself.
#
# 1. prints "hello from the guest\n" (two hypercalls: 16 + 5 bytes);
# 2. sets MSR[SE] with mtmsrd (L=0). The trace handler at 0xd00 counts each
#    trace interrupt in `trace_count`, records SRR0 in `trace_pcs` and returns
#    with rfid: SRR1 still has SE, so tracing goes on. Traced here: the three
#    addi at `traced` and the mtmsrd that clears SE (the one that set it is
#    not traced): 4 interrupts, SRR0 = traced+4, +8, +12, +16;
# 3. prints "done\n" and stops at `done`.
# `hcall_status` holds the OR of every hypercall's r3 (0 = all H_SUCCESS).
    .set H_PUT_TERM_CHAR, 0x58
    .set MSR_SE, 0x0400
    .set SPR_SRR0, 26

    .text
    .org 0xd00
trace_vector:
    ld      30, trace_count(0)
    addi    30, 30, 1
    std     30, trace_count(0)
    sldi    30, 30, 3
    mfspr   31, SPR_SRR0
    std     31, trace_pcs - 8(30)   # trace_pcs[count - 1]
    rfid

    .org 0x1000
    .globl _start
_start:
    li      20, hello
    li      21, hello_end - hello
    bl      puts

    mfmsr   3
    ori     4, 3, MSR_SE
    mtmsrd  4                   # sets SE: not traced
    .globl traced
traced:
    addi    5, 5, 1
    addi    5, 5, 2
    addi    5, 5, 3
    mtmsrd  3                   # clears SE: traced

    li      20, bye
    li      21, bye_end - bye
    bl      puts
    .globl done
done:
    b       done

# puts: write r21 bytes at r20 to the console, 16 bytes per H_PUT_TERM_CHAR
# (r4 = terminal 0, r5 = length, r6 and r7 = the bytes, big-endian packed).
puts:
    cmpdi   21, 0
    beqlr
    li      5, 16
    cmpd    21, 5
    bge     1f
    mr      5, 21
1:  ld      6, 0(20)            # the bytes past the length are ignored
    ld      7, 8(20)
    li      3, H_PUT_TERM_CHAR
    li      4, 0
    sc      1
    ld      8, hcall_status(0)
    or      8, 8, 3
    std     8, hcall_status(0)
    add     20, 20, 5
    subf    21, 5, 21
    b       puts

    .org 0x2000
hello:      .ascii "hello from the guest\n"
hello_end:
    .org 0x2040
bye:        .ascii "done\n"
bye_end:
    .org 0x2080
    .globl trace_count
trace_count:    .quad 0
    .globl hcall_status
hcall_status:   .quad 0
    .globl trace_pcs
trace_pcs:      .fill 8, 8, 0
    .org 0x2100
