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
# (c) the call-heavy C program: quicksort + CRC-32 (needs gcc-powerpc64-linux-gnu).
powerpc64-linux-gnu-gcc -O2 -ffreestanding -nostdlib -mcpu=power9 -c sort.c -o sort.o
powerpc64-linux-gnu-as -mpower9 -o sort_start.o sort_start.S
powerpc64-linux-gnu-ld -T sort.ld -N -o sort.elf sort_start.o sort.o
powerpc64-linux-gnu-objcopy -O binary sort.elf sort.bin
rm -f sort.o sort_start.o sort.elf
