# pseries_hello: a program built the way suites written for QEMU's pseries machine are
# (kvm-unit-tests style): loaded at 0x400000, entered through the one-branch boot ROM rom.S at
# 0x100, console through hypercalls, exit through RTAS power-off. It prints only what QEMU and
# ppcdbg must agree on, so the two consoles can be compared byte for byte:
#   - the entry state: MSR, r1, r4, r5 and r3 (the device tree's address);
#   - the tree's magic and version, /chosen bootargs (the -append string) and qemu,boot-kernel;
#   - the status of H_SET_MODE (AIL = 0) and of an unassigned hypercall (H_FUNCTION);
#   - RTAS get-time-of-day through KVMPPC_H_RTAS, with the token found in /rtas: the hypercall's
#     and the call's status and whether the date is plausible (the clocks differ);
# then it powers off with RTAS power-off (the token from /rtas too).
#
# Big-endian: the machine enters with MSR = 0 (32-bit, big-endian, real mode). Conventions:
# the routines may change r0, r3-r12 (what a hypercall may change) and r14-r20; the main
# program keeps its state in r21-r31. Build: build.sh (powerpc64-linux-gnu-as -mpower9).

    .set H_PUT_TERM_CHAR, 0x58
    .set H_SET_MODE, 0x31c
    .set H_UNASSIGNED, 0x1000        # not a PAPR hypercall: H_FUNCTION (-2) on QEMU and ppcdbg
    .set KVMPPC_H_RTAS, 0xf000
    .set FDT_BEGIN_NODE, 1
    .set FDT_PROP, 3
    .set FDT_END, 9

    .macro LOAD reg, sym              # an address below 2 GiB
    lis \reg, \sym@ha
    addi \reg, \reg, \sym@l
    .endm

    .macro SAY label
    LOAD r3, \label
    bl puts
    .endm

    .macro HEX reg                     # print a register in hex
    mr r3, \reg
    bl puthex
    .endm

    .macro DEC reg                     # print a register as a signed decimal
    mr r3, \reg
    bl putdec
    .endm

    .text
    .globl _start
_start:
    mr r31, r3                         # the device tree
    mfmsr r30
    mr r29, r1
    mr r28, r4
    mr r27, r5
    li r0, 1                           # MSR[SF]: 64-bit mode, so that registers print whole
    sldi r0, r0, 63
    or r0, r0, r30
    mtmsrd r0
    isync

    SAY s_banner
    SAY s_msr
    HEX r30
    SAY s_r1
    HEX r29
    SAY s_r4
    HEX r28
    SAY s_r5
    HEX r27
    SAY s_r3
    HEX r31
    SAY s_nl

    SAY s_magic
    lwz r3, 0(r31)
    bl puthex
    SAY s_version
    lwz r3, 20(r31)
    bl putdec
    SAY s_nl

    SAY s_bootargs
    LOAD r3, n_bootargs
    bl find_prop
    cmpdi r3, 0
    bne 1f
    LOAD r3, s_none
1:  bl puts                            # the value is a NUL-terminated string
    SAY s_nl

    SAY s_kernel
    LOAD r3, n_boot_kernel
    bl find_prop
    mr r21, r3
    cmpdi r3, 0
    beq 2f
    ld r3, 0(r21)                      # two 64-bit cells: address, size
    bl puthex
    SAY s_size
    ld r3, 8(r21)
    bl puthex
    b 3f
2:  SAY s_none
3:  SAY s_le
    LOAD r3, n_boot_kernel_le
    bl find_prop
    LOAD r4, s_no
    cmpdi r3, 0
    beq 4f
    LOAD r4, s_yes
4:  mr r3, r4
    bl puts
    SAY s_nl

    SAY s_set_mode
    li r3, H_SET_MODE
    li r4, 0                           # mflags: AIL = 0
    li r5, 3                           # resource 3: address translation mode (AIL)
    li r6, 0
    li r7, 0
    sc 1
    bl putdec
    SAY s_unassigned
    li r3, H_UNASSIGNED
    sc 1
    bl putdec
    SAY s_nl

    # RTAS get-time-of-day: token, nargs 0, nret 8 (status, year, month, day, hour, minute,
    # second, nanoseconds).
    LOAD r3, n_get_time_of_day
    bl find_prop
    cmpdi r3, 0
    beq no_rtas
    lwz r22, 0(r3)
    LOAD r23, rtas_args
    stw r22, 0(r23)
    li r0, 0
    stw r0, 4(r23)
    li r0, 8
    stw r0, 8(r23)
    li r3, 0
    ori r3, r3, KVMPPC_H_RTAS
    mr r4, r23
    sc 1
    mr r24, r3
    SAY s_tod
    HEX r22
    SAY s_hcall
    DEC r24
    SAY s_status
    lwa r3, 12(r23)
    bl putdec
    SAY s_plausible
    bl date_plausible
    bl puts
    SAY s_nl

    # RTAS power-off: token, nargs 2 (-1, -1), nret 1.
    LOAD r3, n_power_off
    bl find_prop
    cmpdi r3, 0
    beq no_rtas
    lwz r22, 0(r3)
    SAY s_power_off
    HEX r22
    SAY s_nl
    stw r22, 0(r23)
    li r0, 2
    stw r0, 4(r23)
    li r0, 1
    stw r0, 8(r23)
    li r0, -1
    stw r0, 12(r23)
    stw r0, 16(r23)
    li r3, 0
    ori r3, r3, KVMPPC_H_RTAS
    mr r4, r23
    sc 1
    SAY s_still_here
    b .

no_rtas:
    SAY s_no_rtas
    b .

# date_plausible: r23 = the get-time-of-day block; r3 = "yes" or "no": year >= 2000, month
# 1-12, day 1-31, hour < 24, minute and second < 60.
date_plausible:
    LOAD r3, s_no
    lwz r4, 16(r23)
    cmplwi r4, 2000
    bltlr
    lwz r4, 20(r23)
    addi r4, r4, -1
    cmplwi r4, 12
    bgelr
    lwz r4, 24(r23)
    addi r4, r4, -1
    cmplwi r4, 31
    bgelr
    lwz r4, 28(r23)
    cmplwi r4, 24
    bgelr
    lwz r4, 32(r23)
    cmplwi r4, 60
    bgelr
    lwz r4, 36(r23)
    cmplwi r4, 60
    bgelr
    LOAD r3, s_yes
    blr

# find_prop: r3 = a property name -> r3 = its value's address (0: no such property), r4 = its
# length. Walks the tree's structure block at r31 token by token (the names asked for occur
# once in the tree, so the node they are in need not be tracked).
find_prop:
    lwz r5, 8(r31)                     # off_dt_struct
    add r5, r5, r31
    lwz r6, 12(r31)                    # off_dt_strings
    add r6, r6, r31
1:  lwz r7, 0(r5)
    addi r5, r5, 4
    cmpwi r7, FDT_BEGIN_NODE
    beq 3f
    cmpwi r7, FDT_PROP
    beq 4f
    cmpwi r7, FDT_END
    bne 1b                             # FDT_END_NODE, FDT_NOP
    li r3, 0
    li r4, 0
    blr
3:  lbz r7, 0(r5)                      # a node's name: past its NUL, to a 4-byte boundary
    addi r5, r5, 1
    cmpwi r7, 0
    bne 3b
    addi r5, r5, 3
    rldicr r5, r5, 0, 61
    b 1b
4:  lwz r8, 0(r5)                      # a property: length, name offset, value
    lwz r9, 4(r5)
    addi r5, r5, 8
    add r9, r9, r6
    mr r10, r3
5:  lbz r11, 0(r9)
    lbz r12, 0(r10)
    cmpw r11, r12
    bne 6f
    addi r9, r9, 1
    addi r10, r10, 1
    cmpwi r11, 0
    bne 5b
    mr r3, r5
    mr r4, r8
    blr
6:  add r5, r5, r8                     # not it: past the value, to a 4-byte boundary
    addi r5, r5, 3
    rldicr r5, r5, 0, 61
    b 1b

# puts: r3 = a NUL-terminated string, written with H_PUT_TERM_CHAR up to 16 bytes at a time:
# r4 = terminal 0 (the first vty, by QEMU's rule), r5 = the length, r6 and r7 = the bytes
# packed big-endian (the first in r6's top byte). Uses r14-r16.
puts:
    mr r14, r3
1:  li r15, 0
2:  lbzx r16, r14, r15
    cmpwi r16, 0
    beq 3f
    addi r15, r15, 1
    cmpwi r15, 16
    bne 2b
3:  cmpwi r15, 0
    beqlr
    li r3, H_PUT_TERM_CHAR
    li r4, 0
    mr r5, r15
    ld r6, 0(r14)
    ld r7, 8(r14)
    sc 1
    add r14, r14, r15
    cmpwi r15, 16
    beq 1b
    blr

# puthex: r3 printed as 0x and its hex digits, no leading zeros. Uses r18-r20.
puthex:
    mflr r20
    LOAD r18, numbuf_end
    li r0, 0
    stb r0, 0(r18)
1:  rldicl r19, r3, 0, 60
    addi r19, r19, '0'
    cmpwi r19, '9'
    ble 2f
    addi r19, r19, 'a' - '0' - 10
2:  stbu r19, -1(r18)
    srdi r3, r3, 4
    cmpdi r3, 0
    bne 1b
    li r19, 'x'
    stbu r19, -1(r18)
    li r19, '0'
    stbu r19, -1(r18)
    mr r3, r18
    bl puts
    mtlr r20
    blr

# putdec: r3 printed as a signed decimal. Uses r18-r20.
putdec:
    mflr r20
    LOAD r18, numbuf_end
    li r0, 0
    stb r0, 0(r18)
    mr r19, r3
    cmpdi r3, 0
    bge 1f
    neg r3, r3
1:  li r0, 10
    divdu r11, r3, r0
    mulld r12, r11, r0
    subf r12, r12, r3
    addi r12, r12, '0'
    stbu r12, -1(r18)
    mr r3, r11
    cmpdi r3, 0
    bne 1b
    cmpdi r19, 0
    bge 2f
    li r12, '-'
    stbu r12, -1(r18)
2:  mr r3, r18
    bl puts
    mtlr r20
    blr

    .section .rodata
s_banner:       .asciz "pseries hello: entered through the -bios ROM at 0x100\n"
s_msr:          .asciz "entry: msr="
s_r1:           .asciz " r1="
s_r4:           .asciz " r4="
s_r5:           .asciz " r5="
s_r3:           .asciz " r3="
s_nl:           .asciz "\n"
s_magic:        .asciz "tree: magic="
s_version:      .asciz " version="
s_bootargs:     .asciz "bootargs: "
s_kernel:       .asciz "qemu,boot-kernel: "
s_size:         .asciz " size="
s_le:           .asciz " le="
s_set_mode:     .asciz "hcalls: H_SET_MODE(AIL=0)="
s_unassigned:   .asciz " unassigned 0x1000="
s_tod:          .asciz "rtas get-time-of-day: token="
s_hcall:        .asciz " hcall="
s_status:       .asciz " status="
s_plausible:    .asciz " date plausible="
s_power_off:    .asciz "rtas power-off: token="
s_still_here:   .asciz "power-off returned\n"
s_no_rtas:      .asciz "no such RTAS service in /rtas\n"
s_none:         .asciz "(none)"
s_yes:          .asciz "yes"
s_no:           .asciz "no"
n_bootargs:     .asciz "bootargs"
n_boot_kernel:  .asciz "qemu,boot-kernel"
n_boot_kernel_le: .asciz "qemu,boot-kernel-le"
n_get_time_of_day: .asciz "get-time-of-day"
n_power_off:    .asciz "power-off"

    .data
    .balign 8
rtas_args:      .space 64
numbuf:         .space 31
numbuf_end:     .space 1
    .balign 16
    .space 16                          # puts may load 16 bytes past a string's end
