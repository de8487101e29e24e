# Two vCPUs. vCPU 0 computes; vCPU 1 keeps running through the guest's own
# trace vector (0xd00), where the trace-vector backend plants its word while
# it steps vCPU 0: with scheduler locking off vCPU 1 must run through it as if
# nothing were there (docs/stepping.md rule 11).
    .org 0x700
    addi 22, 22, 1
    mfsrr0 27
    addi 27, 27, 4
    mtsrr0 27
    rfid
    .org 0xd00
    addi 25, 25, 1            # vCPU 1 passes here constantly
    addi 26, 26, 2
    b loop1
    .org 0x1000
    .globl _start
_start:
    mfspr 1, 1023             # PIR: 0 or 4
    cmpdi 1, 0
    bne cpu1
    li 3, 0
    li 5, 0x3000
1:  addi 3, 3, 1
    std 3, 0(5)
    ld 4, 0(5)
    cmpdi 3, 40
    blt 1b
done:
    b done
cpu1:
    li 9, 0
loop1:
    addi 9, 9, 1
    stw 9, 0x100(0)
    ba 0xd00
