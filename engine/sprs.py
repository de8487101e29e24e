"""The special-purpose registers, described once as data.

Each entry: name (Linux/QEMU lower-case), number, and the privilege needed to
read and to write it: "user", "super" (MSR[PR]=0) or "hyper" (MSR[HV]=1,
PR=0). ``None`` means the direction does not exist. Registers with behaviour
(XER, LR, CTR, the timebase, DEC...) are special-cased by the mfspr/mtspr
handlers; the rest are plain storage.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SprDef:
    name: str
    number: int
    read: str | None
    write: str | None


U, S, H = "user", "super", "hyper"

SPR_TABLE: tuple[SprDef, ...] = (
    SprDef("xer", 1, U, U),
    SprDef("dscr_u", 3, U, U),
    SprDef("lr", 8, U, U),
    SprDef("ctr", 9, U, U),
    SprDef("dscr", 17, S, S),
    SprDef("dsisr", 18, S, S),
    SprDef("dar", 19, S, S),
    SprDef("dec", 22, S, S),
    SprDef("srr0", 26, S, S),
    SprDef("srr1", 27, S, S),
    SprDef("cfar", 28, S, S),
    SprDef("amr", 29, S, S),
    SprDef("pidr", 48, S, S),
    SprDef("iamr", 61, S, S),
    SprDef("ctrl", 136, U, None),
    SprDef("ctrl_w", 152, None, S),
    SprDef("fscr", 153, S, S),
    SprDef("uamor", 157, S, S),
    SprDef("pspb", 159, S, S),
    SprDef("dpdes", 176, S, H),  # privileged read (QEMU 7.2: spr_read_dpdes for the OS)
    SprDef("dawr0", 180, H, H),
    SprDef("rpr", 186, H, H),
    SprDef("ciabr", 187, H, H),
    SprDef("dawrx0", 188, H, H),
    SprDef("hfscr", 190, H, H),
    SprDef("vrsave", 256, U, U),
    SprDef("sprg3_u", 259, U, None),
    SprDef("tb", 268, U, None),
    SprDef("tbu", 269, U, None),
    SprDef("sprg0", 272, S, S),
    SprDef("sprg1", 273, S, S),
    SprDef("sprg2", 274, S, S),
    SprDef("sprg3", 275, S, S),
    SprDef("tbl_w", 284, None, H),
    SprDef("tbu_w", 285, None, H),
    SprDef("tbu40", 286, None, H),
    SprDef("pvr", 287, S, None),
    SprDef("hsprg0", 304, H, H),
    SprDef("hsprg1", 305, H, H),
    SprDef("hdsisr", 306, H, H),
    SprDef("hdar", 307, H, H),
    SprDef("spurr", 308, S, H),
    SprDef("purr", 309, S, H),
    SprDef("hdec", 310, H, H),
    SprDef("hrmor", 313, H, H),
    SprDef("hsrr0", 314, H, H),
    SprDef("hsrr1", 315, H, H),
    SprDef("lpcr", 318, H, H),
    SprDef("lpidr", 319, H, H),
    SprDef("hmer", 336, H, H),
    SprDef("hmeer", 337, H, H),
    SprDef("pcr", 338, H, H),
    SprDef("heir", 339, H, H),
    SprDef("amor", 349, H, H),
    SprDef("tir", 446, S, None),
    # The performance monitor (QEMU 7.2 register_book3s_pmu_*_sprs and
    # register_power8_pmu_*_sprs; engine/isa/pmu.py): problem-state views at the
    # supervisor number - 16, gated by MMCR0[PMCC] where marked U/U.
    SprDef("usier", 768, U, S),  # QEMU 7.2: a register of its own, not SIER's view
    SprDef("ummcr2", 769, U, U),
    SprDef("ummcra", 770, U, S),
    *(SprDef(f"upmc{i}", 770 + i, U, U) for i in range(1, 7)),
    SprDef("ummcr0", 779, U, U),
    SprDef("usiar", 780, U, S),
    SprDef("usdar", 781, U, S),
    SprDef("ummcr1", 782, U, S),
    SprDef("sier", 784, S, S),
    SprDef("mmcr2", 785, S, S),
    SprDef("mmcra", 786, S, S),
    *(SprDef(f"pmc{i}", 786 + i, S, S) for i in range(1, 7)),
    SprDef("mmcr0", 795, S, S),
    SprDef("siar", 796, S, S),
    SprDef("sdar", 797, S, S),
    SprDef("mmcr1", 798, S, S),
    # Event-based branches: user SPRs behind FSCR[EBB] (QEMU 7.2 register_power8_ebb_sprs).
    SprDef("bescrs", 800, U, U),
    SprDef("bescrsu", 801, U, U),
    SprDef("bescrr", 802, U, U),
    SprDef("bescrru", 803, U, U),
    SprDef("ebbhr", 804, U, U),
    SprDef("ebbrr", 805, U, U),
    SprDef("bescr", 806, U, U),
    SprDef("ptcr", 464, H, H),
    SprDef("asdr", 816, H, H),
    SprDef("vtb", 849, S, H),  # virtual time base (engine/cpu.py VCPU.vtb)
    SprDef("tar", 815, U, U),
    SprDef("psscr_u", 823, U, U),
    SprDef("psscr", 855, S, S),
    SprDef("ppr", 896, U, U),
    SprDef("ppr32", 898, U, U),
    SprDef("hid0", 1008, H, H),
    SprDef("pir", 1023, S, None),
)

SPR_BY_NAME: dict[str, SprDef] = {s.name: s for s in SPR_TABLE}
SPR_BY_NUMBER: dict[int, SprDef] = {s.number: s for s in SPR_TABLE}


def _n(name: str) -> int:
    return SPR_BY_NAME[name].number


# Numbers used by the engine itself, from the table (one place says what each SPR is).
SPR_XER, SPR_LR, SPR_CTR = _n("xer"), _n("lr"), _n("ctr")
SPR_DSISR, SPR_DAR, SPR_DEC = _n("dsisr"), _n("dar"), _n("dec")
SPR_SRR0, SPR_SRR1, SPR_CFAR = _n("srr0"), _n("srr1"), _n("cfar")
SPR_SPRG0, SPR_SPRG1, SPR_SPRG2, SPR_SPRG3 = (_n(f"sprg{i}") for i in range(4))
SPR_PVR = _n("pvr")
SPR_HSPRG0, SPR_HSPRG1 = _n("hsprg0"), _n("hsprg1")
SPR_HDSISR, SPR_HDAR, SPR_HDEC, SPR_HRMOR = _n("hdsisr"), _n("hdar"), _n("hdec"), _n("hrmor")
SPR_HSRR0, SPR_HSRR1, SPR_LPCR, SPR_LPIDR = _n("hsrr0"), _n("hsrr1"), _n("lpcr"), _n("lpidr")
SPR_PTCR, SPR_PIDR = _n("ptcr"), _n("pidr")
SPR_AMR, SPR_IAMR, SPR_ASDR, SPR_AMOR = _n("amr"), _n("iamr"), _n("asdr"), _n("amor")
SPR_DPDES = _n("dpdes")
SPR_HID0, SPR_PIR = _n("hid0"), _n("pir")
SPR_FSCR, SPR_TAR = _n("fscr"), _n("tar")
SPR_VTB = _n("vtb")
SPR_MMCR0 = _n("mmcr0")
MMCR0_RESET = 0x8000_0000  # MMCR0[FC]: the counters start frozen (QEMU 7.2)

PVR_POWER9_DD2 = 0x004E1200
LPCR_RESET = 0x000000000000000C
# The LPCR bits POWER9 implements (QEMU 7.2's POWER9 lpcr_mask, measured: mtspr
# LPCR of all ones reads back this): VPM1 ISL KBV DPFD HVEE ILE AIL UPRT EVIRT HR
# ONL LD PECE MER GTSE TC HEIC LPES0 HVICE HDICE. LPES1 (the reset value's bit
# 61) is gone in ISA 3.0: a write drops it.
LPCR_WRITE_MASK = 0x7070_4000_03F7_FE1B
