#!/bin/sh
# Rebuild the prebuilt trace test programs (needs binutils-powerpc64-linux-gnu).
set -e
cd "$(dirname "$0")"
powerpc64-linux-gnu-as -mpower9 -o trace_prog.o trace_prog.S
powerpc64-linux-gnu-ld -Ttext=0 -N -e _start -o trace_prog.elf trace_prog.o
powerpc64-linux-gnu-objcopy -O binary trace_prog.elf trace_prog.bin
rm -f trace_prog.o
