"""The pseries device tree (engine/platform/pseries/devicetree.py), checked with dtc: the blob
decompiles without complaint, and the nodes and values are those of docs/pseries.md."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from engine.platform.pseries import devicetree as dt
from engine.platform.pseries.rtas_tokens import BOOT_TOKENS, RTAS_TOKENS, TOKEN_NAMES
from tests.conftest import require_tool

# The layout of a 1 GiB direct boot with a 0x263c00-byte initrd (docs/pseries.md).
INITRD = 0x2C90000
INITRD_SIZE = 0x263C00
SEED = bytes(range(32))
# dtc checks that do not matter here: XICS' presentation node is an interrupt provider with no
# #address-cells (QEMU's tree is the same; the kernel never walks an interrupt-map through it).
HARMLESS = ("interrupt_provider",)


def config(**kw: object) -> dt.TreeConfig:
    base: dict[str, object] = {
        "bootargs": "console=hvc0 cryptomgr.notests",
        "initrd_start": INITRD,
        "initrd_size": INITRD_SIZE,
        "rng_seed": SEED,
    }
    base.update(kw)
    return dt.TreeConfig(**base)  # type: ignore[arg-type]


Props = dict[str, str | None]


def decompile(blob: bytes, tmp_path: Path) -> tuple[str, list[str]]:
    """dtc's source for the blob, and its warnings and errors (failing on a dtc error)."""
    dtc = require_tool("dtc")
    src = tmp_path / "tree.dtb"
    src.write_bytes(blob)
    r = subprocess.run(
        [dtc, "-I", "dtb", "-O", "dts", str(src)], capture_output=True, text=True, timeout=30
    )
    assert r.returncode == 0, r.stderr
    return r.stdout, [ln for ln in r.stderr.splitlines() if ln.strip()]


def parse_dts(text: str) -> tuple[dict[str, Props], list[tuple[int, int]]]:
    """dtc's output as {node path: {property: value or None}} and the /memreserve/ list.
    dtc writes one node header or property per line, so a line scanner is enough."""
    nodes: dict[str, Props] = {}
    reserves = []
    stack: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if m := re.fullmatch(r"/memreserve/\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+);", line):
            reserves.append((int(m.group(1), 16), int(m.group(2), 16)))
        elif line.endswith("{"):
            name = line[:-1].strip()
            stack.append(name)
            path = "/" if name == "/" else "/" + "/".join(stack[1:])
            nodes[path] = {}
        elif line == "};":
            stack.pop()
        elif line.endswith(";") and stack:
            path = "/" if len(stack) == 1 else "/" + "/".join(stack[1:])
            name, _, value = line[:-1].partition(" = ")
            nodes[path][name] = value if value else None
    return nodes, reserves


def cells(value: str | None) -> list[int]:
    assert value is not None and value.startswith("<") and value.endswith(">"), value
    return [int(w, 16) for w in value[1:-1].split()]


def relevant(warnings: list[str]) -> list[str]:
    return [w for w in warnings if not any(f"({h})" in w for h in HARMLESS)]


@pytest.mark.parametrize("vcpus", [1, 2])
def test_the_tree_decompiles_cleanly_with_the_documented_content(
    vcpus: int, tmp_path: Path
) -> None:
    text, warnings = decompile(dt.build_dtb(config(vcpus=vcpus)), tmp_path)
    assert relevant(warnings) == [], warnings
    nodes, reserves = parse_dts(text)

    root = nodes["/"]
    assert root["compatible"] == '"qemu,pseries"' and root["device_type"] == '"chrp"'
    assert cells(root["#address-cells"]) == [2] and cells(root["#size-cells"]) == [2]

    # One CPU node per vCPU, one thread per core.
    cpu_paths = sorted(p for p in nodes if p.startswith("/cpus/"))
    assert cpu_paths == [f"/cpus/PowerPC,POWER9@{n}" for n in range(vcpus)]
    for n, path in enumerate(cpu_paths):
        cpu = nodes[path]
        assert cpu["device_type"] == '"cpu"' and cpu["status"] == '"okay"'
        assert "64-bit" in cpu and cpu["64-bit"] is None
        assert cells(cpu["reg"]) == [n]
        assert cells(cpu["ibm,ppc-interrupt-server#s"]) == [n]
        assert cells(cpu["cpu-version"]) == [0x0F000005]
        assert cells(cpu["ibm,vmx"]) == [2]
        assert cells(cpu["ibm,dec-bits"]) == [56]
        assert cells(cpu["timebase-frequency"]) == [512_000_000]
        assert cells(cpu["ibm,processor-radix-AP-encodings"]) == [
            0x0C, 0xA0000010, 0x20000015, 0x4000001E,
        ]  # fmt: skip
        pa = cells(cpu["ibm,pa-features"])
        assert len(pa) == 17 and pa[0] >> 24 == 66  # 66 attribute bytes follow the header
    assert cells(nodes["/interrupt-controller"]["ibm,interrupt-server-ranges"]) == [0, vcpus]
    assert nodes["/interrupt-controller"]["compatible"] == '"IBM,ppc-xicp"'

    assert cells(nodes["/memory@0"]["reg"]) == [0, 0, 0, 0x40000000]
    assert nodes["/memory@0"]["device_type"] == '"memory"'

    chosen = nodes["/chosen"]
    assert chosen["bootargs"] == '"console=hvc0 cryptomgr.notests"'
    assert cells(chosen["linux,initrd-start"]) == [INITRD]
    assert cells(chosen["linux,initrd-end"]) == [INITRD + INITRD_SIZE]
    assert chosen["stdout-path"] == chosen["linux,stdout-path"] == '"/vdevice/vty@71000000"'
    vec5 = chosen["ibm,architecture-vec-5"]
    assert vec5 is not None
    vec5_bytes = bytes.fromhex(vec5.strip("[]").replace(" ", ""))
    assert len(vec5_bytes) == 27 and vec5_bytes[0] == 0x19
    assert vec5_bytes[24] == 0x40 and vec5_bytes[26] == 0x40  # radix MMU, radix GTSE
    assert cells(chosen["rng-seed"]) == [int.from_bytes(SEED[i : i + 4]) for i in range(0, 32, 4)]
    assert "qemu,boot-kernel" not in chosen

    rtas = nodes["/rtas"]
    assert cells(rtas["linux,rtas-base"]) == cells(rtas["linux,rtas-entry"]) == [0x2FFF0000]
    assert cells(rtas["rtas-size"]) == [0x82C]
    for name in BOOT_TOKENS:
        assert cells(rtas[name]) == [RTAS_TOKENS[name]], name
    assert "ibm,extended-os-term" in rtas
    assert rtas["ibm,hypertas-functions"] == (
        '"hcall-term\\0hcall-interrupt\\0hcall-splpar\\0hcall-set-mode"'
    )

    vdevice = nodes["/vdevice"]
    assert vdevice["compatible"] == '"IBM,vdevice"' and "interrupt-controller" in vdevice
    vty = nodes["/vdevice/vty@71000000"]
    assert vty["compatible"] == '"hvterm1"' and vty["device_type"] == '"serial"'
    assert cells(vty["reg"]) == [0x71000000]
    assert cells(vty["interrupts"]) == [0x1100, 0]

    # The initrd rounded up to 64 KiB, and the RTAS area's 64 KiB.
    assert reserves == [(INITRD, 0x270000), (0x2FFF0000, 0x10000)]


def test_dtc_recompiles_its_source_to_the_same_blob(tmp_path: Path) -> None:
    """The fdt package and dtc agree on the encoding: dtc's source for our blob compiles back
    to our blob byte for byte (header, memory reservations, structure and strings)."""
    blob = dt.build_dtb(config(vcpus=2))
    text, _ = decompile(blob, tmp_path)
    src = tmp_path / "tree.dts"
    src.write_text(text)
    dtc = require_tool("dtc")
    r = subprocess.run([dtc, "-I", "dts", "-O", "dtb", str(src)], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == blob
    assert int.from_bytes(blob[0:4]) == 0xD00DFEED and int.from_bytes(blob[20:24]) == 17


def test_the_bios_contract_tree(tmp_path: Path) -> None:
    """QEMU's pre-negotiation tree for -bios: qemu,boot-kernel names the kernel, vec5 is empty,
    no linux,rtas-base/entry (callers issue KVMPPC_H_RTAS themselves), the kernel reserved."""
    cfg = config(
        initrd_start=None,
        initrd_size=0,
        rng_seed=None,
        rtas_base=None,
        architecture_vec5=dt.PRE_CAS_VEC5,
        boot_kernel=(0x400000, 0x2714EBC),
        boot_kernel_le=True,
        extra_reserves=[(0x400000, 0x2714EBC)],
    )
    text, warnings = decompile(dt.build_dtb(cfg), tmp_path)
    assert relevant(warnings) == []
    nodes, reserves = parse_dts(text)
    chosen = nodes["/chosen"]
    assert cells(chosen["qemu,boot-kernel"]) == [0, 0x400000, 0, 0x2714EBC]
    assert "qemu,boot-kernel-le" in chosen
    assert chosen["ibm,architecture-vec-5"] == "[00 00]"
    assert "linux,initrd-start" not in chosen and "rng-seed" not in chosen
    assert "linux,rtas-base" not in nodes["/rtas"] and "power-off" in nodes["/rtas"]
    assert reserves == [(0x400000, 0x2714EBC)]


def test_larger_machines_and_the_console_choice(tmp_path: Path) -> None:
    cfg = config(vcpus=8, memory_size=4 << 30, vty_termno=0x71000001, vty_irq=0x1101)
    nodes, _ = parse_dts(decompile(dt.build_dtb(cfg), tmp_path)[0])
    assert cells(nodes["/memory@0"]["reg"]) == [0, 0, 1, 0]
    assert sum(p.startswith("/cpus/PowerPC") for p in nodes) == 8
    assert "/cpus/PowerPC,POWER9@7" in nodes
    assert cells(nodes["/vdevice/vty@71000001"]["interrupts"]) == [0x1101, 0]
    assert nodes["/chosen"]["stdout-path"] == '"/vdevice/vty@71000001"'


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"vcpus": 0}, "vcpus"),
        ({"vcpus": dt.MAX_VCPUS + 1}, "vcpus"),
        ({"memory_size": 1 << 20}, "memory size"),
        ({"bootargs": "x" * 2048}, "command line"),
        ({"initrd_size": 1 << 30}, "does not fit"),
        ({"initrd_size": 0}, "needs a size"),
        ({"rtas_base": 0x2FFF0800}, "RTAS"),
        ({"rtas_base": 0x3FFF0000, "memory_size": 1 << 29, "initrd_start": None}, "RTAS"),
        ({"rtas_base": 0x2C90000}, "overlap"),
        ({"rng_seed": b"abc"}, "rng-seed"),
    ],
)
def test_bad_configurations_are_refused_with_a_reason(kw: dict[str, object], message: str) -> None:
    with pytest.raises(dt.TreeError, match=message):
        dt.build_dtb(config(**kw))


def test_the_token_table_is_one_to_one() -> None:
    assert len(TOKEN_NAMES) == len(RTAS_TOKENS)
    assert set(BOOT_TOKENS) <= set(RTAS_TOKENS)
    assert RTAS_TOKENS["power-off"] == 0x2003 and RTAS_TOKENS["ibm,os-term"] == 0x201F
