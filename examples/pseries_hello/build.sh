#!/bin/sh
# Rebuild the committed rom.bin and hello.elf (needs binutils-powerpc64-linux-gnu); with an
# argument, write them into that directory instead (the up-to-date test does).
#   rom.bin:   the raw -bios image: zeros, then at 0x100 a branch to 0x400000.
#   hello.elf: big-endian, linked by hello.lds to run at 0x400000 from physical address 0,
#              where QEMU and ppcdbg load a -kernel ELF (0x400000 + the low 28 address bits).
set -e
out=$(cd "${1:-$(dirname "$0")}" && pwd)
cd "$(dirname "$0")"
P=powerpc64-linux-gnu-
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${P}as -mpower9 -mregnames -o "$tmp/rom.o" rom.S
${P}ld -N -Ttext=0 -e 0x100 --no-warn-rwx-segments -o "$tmp/rom.elf" "$tmp/rom.o"
${P}objcopy -O binary "$tmp/rom.elf" "$out/rom.bin"
${P}as -mpower9 -mregnames -o "$tmp/hello.o" hello.S
${P}ld -N -T hello.lds --build-id=none --no-warn-rwx-segments -o "$out/hello.elf" "$tmp/hello.o"
