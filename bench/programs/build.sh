#!/bin/sh
# Rebuild the benchmark programs (needs binutils-powerpc64-linux-gnu).
set -e
cd "$(dirname "$0")"
for p in loop memmix; do
    powerpc64-linux-gnu-as -mpower9 -o $p.o $p.S
    powerpc64-linux-gnu-ld -Ttext=0 -N -e 0x10 -o $p.elf $p.o
    powerpc64-linux-gnu-objcopy -O binary $p.elf $p.bin
    rm -f $p.o $p.elf
done
