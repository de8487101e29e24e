# guest_echo: a guest (guest profile) whose console echoes what is typed at it.
#
# It prints "echo> " with H_PUT_TERM_CHAR, then polls H_GET_TERM_CHAR forever and writes
# back every chunk it reads (up to 16 bytes a call), so that a client typing "hi" at
# the session's console (POST /v1/sessions/{id}/console, or the dashboard's terminal)
# reads "hi" in `console` events. `echoed` counts the bytes echoed so far; the loop
# never ends: halt the session to stop it.
    .set H_GET_TERM_CHAR, 0x54
    .set H_PUT_TERM_CHAR, 0x58

    .text
    .org 0x1000
    .globl _start
_start:
    li      3, H_PUT_TERM_CHAR
    li      4, 0                # terminal 0
    li      5, prompt_end - prompt
    ld      6, prompt(0)
    sc      1
    .globl poll
poll:
    li      3, H_GET_TERM_CHAR
    li      4, 0
    sc      1                   # r4 = length, r5 and r6 = the bytes
    cmpdi   4, 0
    beq     poll
    ld      8, echoed(0)
    add     8, 8, 4
    std     8, echoed(0)
    mr      7, 6
    mr      6, 5
    mr      5, 4
    li      4, 0
    li      3, H_PUT_TERM_CHAR
    sc      1
    b       poll

    .data
    .balign 8
prompt:
    .ascii  "echo> "
prompt_end:
    .balign 8
    .globl echoed
echoed:
    .quad   0
