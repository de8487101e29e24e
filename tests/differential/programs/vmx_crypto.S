# steps: 287
# vcpus: 1
# regs: vscr,vs32,vs33,vs34,vs35,vs36,vs37,vs38,vs39,vs40,vs41,vs42,vs43,vs44,vs45,vs46,vs47,vs48,vs49,vs50,vs51
# VMX crypto and polynomial multiply, big-endian (vmx_crypto_le is the same in
# little-endian mode): vsbox on every input, vcipher/vcipherlast/vncipher/vncipherlast on
# extremes, all ones and zero, the FIPS-197 appendix B example's first round and a chain of
# rounds, vshasigmaw/vshasigmad with every ST and SIX, vpmsumb/h/w/d on all ones, sign
# bits and random bits. The last words set the reserved VRB of vsbox, which QEMU 7.2
# executes; a HEAI would skip the word.
    .include "common.inc"
    .include "vmx_ldv.inc"
    .include "vmx_crypto_ldv.inc"
    entry
    .org 0xe40               # HEAI: skip the word
    mfspr 30, 314            # HSRR0
    addi 30, 30, 4
    mtspr 314, 30
    hrfid
    begin
    ldk 3, vec_msr
    mtmsrd 3, 0              # MSR[FP|VEC|VSX] := 1
    ldinputs
    ldcrypto
    .include "vmx_crypto.inc"
done:
    b done

    .org 0x3000
    .include "vmx_data.inc"
    .include "vmx_crypto_data.inc"
