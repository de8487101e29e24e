"""Protocol edge cases through a raw RSP client: what gdb rarely sends, and what breaks things."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable

import pytest

from engine.debug.controller import Controller
from service.gdb.protocol import Packet, PacketReader, frame
from service.gdb.target import G_SIZE, REG_OFFSET, REGNUM
from tests.asm import assemble_elf

from .conftest import (
    LE_BOOT,
    ROOT,
    SMP,
    VEC_DONE_BE,
    VEC_DONE_LE,
    RawClient,
    Serve,
    calls_elf,
    vec_image,
)

# calls.S (conftest): bump 0x101c, its stw 0x1028, value 0x1800, done 0x1018.
BUMP, STW, VALUE, DONE = 0x101C, 0x1028, 0x1800, 0x1018


@pytest.fixture
def calls(serve: Serve) -> tuple[Controller, RawClient]:
    ctl, h = serve(calls_elf())
    c = RawClient(h.port)
    c.handshake()
    return ctl, c


def wait_for(pred: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# -- negotiation and descriptions --------------------------------------------------------------
def test_qsupported_advertises_the_features(serve: Serve) -> None:
    _, h = serve(calls_elf())
    c = RawClient(h.port)
    reply = c.handshake().decode()
    for feature in ("PacketSize=4000", "qXfer:features:read+", "qXfer:threads:read+",
                    "QStartNoAckMode+", "vContSupported+", "ReverseStep+", "ReverseContinue+",
                    "swbreak+", "hwbreak+", "multiprocess+"):  # fmt: skip
        assert feature in reply.split(";")
    assert c.request("vCont?") == b"vCont;c;C;s;S;t"
    assert c.request("?") == b"T0520:0000000000001000;thread:p1.1;"


def test_qsupported_offers_reverse_execution_only_with_history(serve: Serve) -> None:
    _, h = serve(calls_elf(), history=False)
    c = RawClient(h.port)
    features = c.handshake().decode().split(";")
    assert "ReverseStep+" not in features and "ReverseContinue+" not in features
    assert "vContSupported+" in features
    assert c.request("bs") == b"E16"  # a client that asks anyway gets an error, not a stop


def test_target_description_has_gdbs_power_features(calls: tuple[Controller, RawClient]) -> None:
    _, c = calls
    doc = b""
    while True:
        part = c.request(f"qXfer:features:read:target.xml:{len(doc):x},200")
        doc += part[1:]
        if part[:1] == b"l":
            break
        assert part[:1] == b"m"
    text = doc.decode()
    assert "<architecture>powerpc:common64</architecture>" in text
    for feature in ("org.gnu.gdb.power.core", "org.gnu.gdb.power.fpu", "org.ppcdbg.power.spr",
                    "org.gnu.gdb.power.altivec", "org.gnu.gdb.power.vsx"):  # fmt: skip
        assert f'<feature name="{feature}">' in text
    regs = re.findall(r'<reg name="(\w+)" bitsize="(\d+)"(?: type="(\w+)")? regnum="(\d+)"', text)
    names = [r[0] for r in regs]
    assert names[:38] == [f"r{i}" for i in range(32)] + ["pc", "msr", "cr", "lr", "ctr", "xer"]
    assert names[38:71] == [f"f{i}" for i in range(32)] + ["fpscr"]
    assert names.index("lpcr") > 70 and "<!-- SPR 318 -->" in text
    assert names.count("vrsave") == 1 and names.index("vrsave") > names.index("vr31")
    vec = names.index("vr0")
    assert names[vec:] == ([f"vr{i}" for i in range(32)] + ["vscr", "vrsave"]
                           + [f"vs{i}h" for i in range(32)])  # fmt: skip
    assert {r[1:3] for r in regs[vec : vec + 32]} == {("128", "vec128")}
    assert regs[vec + 32][1:3] == regs[vec + 33][1:3] == ("32", "")
    assert {r[1:3] for r in regs[vec + 34 :]} == {("64", "uint64")}
    assert f'<reg name="vscr" bitsize="32" regnum="{vec + 32}" group="vector"/>' in text
    assert '<union id="vec128">' in text and '<field name="v4_int32" type="v4i32"/>' in text
    assert [int(r[3]) for r in regs] == list(range(len(regs)))
    # g carries every register, in regnum order, at its size
    assert G_SIZE == sum(int(b) // 8 for _, b, _, _ in regs)
    assert len(c.request("g")) == 2 * G_SIZE
    assert c.request("qXfer:features:read:nothere.xml:0,100") == b"E00"


def test_threads_are_vcpus(serve: Serve) -> None:
    _, h = serve(SMP.read_bytes(), vcpus=4)
    c = RawClient(h.port)
    c.handshake()
    assert c.request("qfThreadInfo") == b"mp1.1,p1.2,p1.3,p1.4"
    assert c.request("qsThreadInfo") == b"l"
    assert c.request("Tp1.4") == b"OK"
    assert c.request("Tp1.5") == b"E16"
    threads = c.request("qXfer:threads:read::0,1000")
    assert threads.startswith(b"l") and threads.count(b"<thread ") == 4
    assert c.request("Hgp1.3") == b"OK"
    assert c.request("qC") == b"QCp1.3"
    assert bytes.fromhex(c.request("qThreadExtraInfo,p1.2").decode()) == b"vCPU 1, stopped"
    # vCont with a thread steps that vCPU only (scheduler locking "step", the default)
    assert c.request("vCont;s:p1.3") == b"T0520:0000000000001004;thread:p1.3;"
    assert c.request("Hgp1.1") == b"OK"
    assert c.request(f"p{REGNUM['pc']:x}") == b"0000000000001000"


def test_without_multiprocess_thread_ids_are_plain(serve: Serve) -> None:
    _, h = serve(SMP.read_bytes(), vcpus=2)
    c = RawClient(h.port)
    c.request("qSupported:swbreak+")
    assert c.request("qfThreadInfo") == b"m1,2"
    assert c.request("vCont;s:2") == b"T0520:0000000000001004;thread:2;"


# -- registers and memory ----------------------------------------------------------------
def test_registers_g_G_p_P(calls: tuple[Controller, RawClient]) -> None:
    ctl, c = calls
    g = bytearray.fromhex(c.request("g").decode())
    g[3 * 8 : 4 * 8] = (0x1122334455667788).to_bytes(8, "big")
    assert c.request(b"G" + g.hex().encode()) == b"OK"
    assert ctl.registers(0, ["r3"])["r3"] == 0x1122334455667788
    assert c.request(f"P{REGNUM['ctr']:x}=00000000000000ff") == b"OK"
    assert c.request(f"p{REGNUM['ctr']:x}") == b"00000000000000ff"
    assert c.request(f"p{REGNUM['cr']:x}") == b"00000000"  # 32 bits
    assert c.request(f"p{REGNUM['lpcr']:x}") == b"000000000000000c"
    assert c.request(f"P{REGNUM['f1']:x}=3ff0000000000000") == b"OK"
    assert ctl.registers(0, ["f1"])["f1"] == 0x3FF0000000000000
    assert c.request("p1000") == b"E16"
    assert c.request(f"P{REGNUM['cr']:x}=00") == b"E16"  # wrong size


def test_registers_travel_in_the_current_byte_order(serve: Serve) -> None:
    _, h = serve(LE_BOOT.read_bytes())
    c = RawClient(h.port)
    c.handshake()
    assert c.request("Z0,2000,4") == b"OK"
    assert c.request("vCont;c") == b"T0520:0020000000000000;thread:p1.1;swbreak:;"
    assert c.request(f"p{REGNUM['msr']:x}") == b"0100000000000090"  # LE set, little-endian
    xml = c.request("qXfer:features:read:target.xml:0,3000")
    assert b"now little-endian" in xml


# -- vector registers: gdb's AltiVec and VSX features ---------------------------------------------
VR0 = bytes(range(16))  # vr0 = 0x000102...0f (VEC_BE/VEC_LE in conftest)
DONE = {"big": VEC_DONE_BE, "little": VEC_DONE_LE}


def _vec_at_done(serve: Serve, order: str) -> tuple[Controller, RawClient]:
    ctl, h = serve(vec_image(order))
    c = RawClient(h.port)
    c.handshake()
    assert c.request(f"Z0,{DONE[order]:x},4") == b"OK"
    assert c.request("vCont;c").startswith(b"T05")
    return ctl, c


def _p(c: RawClient, name: str) -> bytes:
    return bytes.fromhex(c.request(f"p{REGNUM[name]:x}").decode())


@pytest.mark.parametrize("order", ["big", "little"])
def test_vector_registers_p_in_the_current_byte_order(serve: Serve, order: str) -> None:
    _, c = _vec_at_done(serve, order)
    # 128 bits most significant byte first, or reversed as a whole (little-endian)
    want = VR0 if order == "big" else VR0[::-1]
    assert _p(c, "vr0") == want
    assert _p(c, "vr2") == (VR0[8:] + VR0[:8])[:: 1 if order == "big" else -1]
    assert _p(c, "vs3h") == bytes(range(8, 16))[:: 1 if order == "big" else -1]
    assert _p(c, "f3") == bytes(range(8))[:: 1 if order == "big" else -1]
    assert _p(c, "vscr") == (0x10000).to_bytes(4, order)
    assert _p(c, "vrsave") == (0x55).to_bytes(4, order)


@pytest.mark.parametrize("order", ["big", "little"])
def test_vector_registers_P_write_through_the_controller(serve: Serve, order: str) -> None:
    ctl, c = _vec_at_done(serve, order)
    value = 0xA0A1A2A3A4A5A6A7A8A9AAABACADAEAF
    raw = value.to_bytes(16, order)
    assert c.request(f"P{REGNUM['vr1']:x}={raw.hex()}") == b"OK"
    assert ctl.registers(0, ["vr1", "vs33"]) == {"vr1": value, "vs33": value}
    # vsNh is the low doubleword of VSR N: FPR N (the high one) is left alone.
    low = (0x1122334455667788).to_bytes(8, order)
    assert c.request(f"P{REGNUM['vs3h']:x}={low.hex()}") == b"OK"
    assert ctl.registers(0, ["vs3"])["vs3"] == (0x0001020304050607 << 64) | 0x1122334455667788
    vscr = (0xFFFFFFFF).to_bytes(4, order)
    assert c.request(f"P{REGNUM['vscr']:x}={vscr.hex()}") == b"OK"
    assert ctl.registers(0, ["vscr"])["vscr"] == 0xFFFFFFFF
    ctl.write_registers(0, {"vrsave": 0xDEAD_0000_0000_0055})
    assert _p(c, "vrsave") == (0x55).to_bytes(4, order)  # the low word
    vrsave = (0x12345678).to_bytes(4, order)
    assert c.request(f"P{REGNUM['vrsave']:x}={vrsave.hex()}") == b"OK"
    assert ctl.registers(0, ["vrsave"])["vrsave"] == 0x12345678  # as QEMU: upper bits clear
    assert c.request(f"P{REGNUM['vr1']:x}={raw[:8].hex()}") == b"E16"  # wrong size


@pytest.mark.parametrize("order", ["big", "little"])
def test_g_and_G_carry_the_vector_registers(serve: Serve, order: str) -> None:
    ctl, c = _vec_at_done(serve, order)
    g = bytearray.fromhex(c.request("g").decode())
    assert len(g) == G_SIZE

    def at(name: str) -> int:
        return REG_OFFSET[REGNUM[name]]

    assert g[at("vr0") : at("vr0") + 16] == (VR0 if order == "big" else VR0[::-1])
    assert g[at("vrsave") : at("vrsave") + 4] == (0x55).to_bytes(4, order)
    # One G changes f4 and vs4h together, vr5 and a GPR: all of them land.
    g[at("f4") : at("f4") + 8] = (0x4444).to_bytes(8, order)
    g[at("vs4h") : at("vs4h") + 8] = (0x8888).to_bytes(8, order)
    g[at("vs5h") : at("vs5h") + 8] = (0x5555).to_bytes(8, order)
    g[at("vr5") : at("vr5") + 16] = (1 << 127 | 1).to_bytes(16, order)
    g[at("r6") : at("r6") + 8] = (6).to_bytes(8, order)
    assert c.request(b"G" + g.hex().encode()) == b"OK"
    got = ctl.registers(0, ["vs4", "vs5", "vr5", "r6", "vr0"])
    assert got == {"vs4": 0x4444 << 64 | 0x8888, "vs5": 0x5555, "vr5": 1 << 127 | 1, "r6": 6,
                   "vr0": int.from_bytes(VR0, "big")}  # fmt: skip
    assert c.request("g") == g.hex().encode()


@pytest.mark.parametrize("order", ["big", "little"])
def test_vector_registers_travel_as_qemus_gdbstub_sends_them(serve: Serve, order: str) -> None:
    """The same program on QEMU 7.2 and on us: the same bytes for every vector register,
    read (p) and written (P), in both byte orders."""
    from tests.conftest import require_tool
    from tests.differential.qemu import QemuMachine

    require_tool("qemu-system-ppc64")
    _, c = _vec_at_done(serve, order)
    names = ["vr0", "vr2", "vr31", "vscr", "vrsave", "vs3h", "vs0h", "f3"]
    writes = {"vr1": bytes(range(0xA0, 0xB0)), "vscr": b"\x00\x01\x00\x01",
              "vrsave": b"\x12\x34\x56\x78", "vs1h": bytes(range(0x30, 0x38))}  # fmt: skip
    with QemuMachine(vec_image(order)) as q:
        q.rsp.insert_breakpoint(DONE[order])
        q.rsp.sock.settimeout(60)
        assert q.rsp.cont().startswith(b"T05")
        for name in names:
            assert _p(c, name) == q.rsp.read_register(q.regmap[name]), name
        for name, raw in writes.items():
            q.rsp.write_register(q.regmap[name], raw)
            assert c.request(f"P{REGNUM[name]:x}={raw.hex()}") == b"OK"
        for name in [*writes, "f1"]:
            assert _p(c, name) == q.rsp.read_register(q.regmap[name]), name


def test_memory_m_M_X(calls: tuple[Controller, RawClient]) -> None:
    ctl, c = calls
    assert c.request(f"M{VALUE:x},4:cafef00d") == b"OK"
    assert c.request(f"m{VALUE:x},4") == b"cafef00d"
    # X carries binary: '$', '#', '}' and '*' travel escaped (frame() escapes them)
    data = bytes([0x24, 0x23, 0x7D, 0x2A])
    assert b"}\x04}\x03}]}\x0a" in frame(b"X%x,4:" % VALUE + data)
    assert c.request(b"X%x,4:" % VALUE + data) == b"OK"
    assert ctl.read_memory(VALUE, 4) == data
    assert c.request(f"X{VALUE:x},0:") == b"OK"  # gdb's probe
    assert c.request(f"M{VALUE:x},4:cafe") == b"E16"  # short data


def test_huge_and_unmapped_memory_requests_get_errors(calls: tuple[Controller, RawClient]) -> None:
    _, c = calls
    assert c.request("m0,100000") == b"E16"
    assert c.request("mffffffffffff0000,10") == b"E0e"  # past the end of RAM
    assert c.request("m1000,4") == b"38207000"  # and the session carries on


# -- breakpoints, watchpoints and execution -------------------------------------------------------
def test_z_packets_map_to_breakpoints_and_watchpoints(calls: tuple[Controller, RawClient]) -> None:
    ctl, c = calls
    assert c.request(f"Z0,{BUMP:x},4") == b"OK"
    assert c.request(f"Z0,{BUMP:x},4") == b"OK"  # idempotent
    assert [b.kind for b in ctl.breakpoints] == ["software"]
    assert c.request("vCont;c") == b"T0520:000000000000101c;thread:p1.1;swbreak:;"
    assert c.request(f"z0,{BUMP:x},4") == b"OK"
    assert c.request(f"Z1,{BUMP:x},4") == b"OK"
    assert c.request("vCont;c") == b"T0520:000000000000101c;thread:p1.1;hwbreak:;"
    assert c.request(f"z1,{BUMP:x},4") == b"OK"
    assert c.request(f"Z2,{VALUE:x},4") == b"OK"
    reply = c.request("vCont;c")
    assert reply.startswith(b"T05") and reply.endswith(b"thread:p1.1;watch:1800;")
    assert c.request(f"z2,{VALUE:x},4") == b"OK"
    assert c.request(f"Z4,{VALUE:x},4") == b"OK"
    assert c.request("vCont;c").endswith(b"awatch:1800;")
    assert c.request(f"z4,{VALUE:x},4") == b"OK"
    assert list(ctl.breakpoints) == []
    assert c.request(f"Z9,{VALUE:x},4") == b""  # unsupported type: empty
    assert c.request("Z0,zz,4") == b"E16"


def test_step_forms_and_reverse_to_history_start(calls: tuple[Controller, RawClient]) -> None:
    _, c = calls
    assert c.request("s") == b"T0520:0000000000001004;thread:p1.1;"
    assert c.request("vCont;s") == b"T0520:0000000000001008;thread:p1.1;"  # unadvertised form
    assert c.request("vCont;s:p1.1;c") == b"T0520:000000000000100c;thread:p1.1;"
    assert c.request("bs") == b"T0520:0000000000001008;thread:p1.1;"
    assert c.request("bs") == b"T0520:0000000000001004;thread:p1.1;"
    assert c.request("bs") == b"T0520:0000000000001000;thread:p1.1;"
    assert c.request("bs") == b"T0520:0000000000001000;thread:p1.1;replaylog:begin;"
    assert c.request("bc") == b"T0520:0000000000001000;thread:p1.1;replaylog:begin;"


def test_monitor_commands_through_qrcmd(calls: tuple[Controller, RawClient]) -> None:
    _, c = calls
    c.request("s")
    out, reply = c.request_with_output("qRcmd," + b"stats".hex())
    assert reply == b"OK" and "steps: 1\n" in out and "time: 1\n" in out
    out, reply = c.request_with_output("qRcmd," + b"lpcr 0".hex())
    assert out == "vCPU 0: LPCR = 0x000000000000000c (LPES0 LPES1)\n"
    out, _ = c.request_with_output("qRcmd," + b"lpcr 7".hex())
    assert out == "error: no vCPU 7\n"
    assert c.request("qRcmd,zz") == b"E16"


def test_ctrl_c_halts_a_running_continue(calls: tuple[Controller, RawClient]) -> None:
    ctl, c = calls
    c.send("vCont;c")
    assert c.read_byte() == b"+"
    wait_for(lambda: ctl.running and ctl.time > 1000)
    c.raw(b"\x03")
    assert c.read_packet() == b"T0220:0000000000001018;thread:p1.1;"  # spinning at done
    assert not ctl.running
    assert c.request("s") == b"T0520:0000000000001018;thread:p1.1;"


def test_api_breakpoints_stop_gdbs_continue(calls: tuple[Controller, RawClient]) -> None:
    ctl, c = calls
    bp = ctl.add_breakpoint("software", address=BUMP)
    assert c.request("c") == b"T0520:000000000000101c;thread:p1.1;swbreak:;"
    out, _ = c.request_with_output("qRcmd," + b"breakpoints".hex())
    assert out.startswith(f"{bp.id}: software 0x101c hits=1 enabled (api)")


# -- robustness -------------------------------------------------------------------------------
def test_unknown_packets_get_an_empty_reply(calls: tuple[Controller, RawClient]) -> None:
    _, c = calls
    for packet in ("Qqemu.sstepbits", "qqemu.sstep", "vMustReplyEmpty", "qTStatus", "!",
                   "vFile:open:", "A", "i", "Hx0", "qFoo"):  # fmt: skip
        assert c.request(packet) == b"", packet


def test_malformed_packets_get_errors_and_the_session_carries_on(
    calls: tuple[Controller, RawClient],
) -> None:
    _, c = calls
    for packet in ("mzz", "m10", "Hgzz", "P5", "Gabc", "vCont;q", "vCont;", "Z0,1", "c1000",
                   "T", "qXfer:features:read:target.xml:zz"):  # fmt: skip
        assert c.request(packet).startswith(b"E"), packet
    assert c.request("g")  # still fine


def test_bad_checksum_is_nakked(calls: tuple[Controller, RawClient]) -> None:
    _, c = calls
    c.raw(b"$g#00")
    assert c.read_byte() == b"-"
    c.raw(b"$m1000,4#zz")
    assert c.read_byte() == b"-"
    c.raw(b"garbage+")  # noise between packets is skipped
    assert c.request("m1000,4") == b"38207000"


def test_nak_resends_the_last_reply(calls: tuple[Controller, RawClient]) -> None:
    _, c = calls
    c.ack = False  # leave acks to the test
    first = c.request("m1000,4")
    c.raw(b"-")
    assert c.read_packet() == first


def test_no_ack_mode(calls: tuple[Controller, RawClient]) -> None:
    _, c = calls
    assert c.request("QStartNoAckMode") == b"OK"
    c.ack = False
    c.buf = b""
    c.send("m1000,4")
    time.sleep(0.05)
    data = c.sock.recv(100)
    assert data == frame(b"38207000")  # no '+' before the reply


def test_second_client_is_refused_and_the_first_carries_on(serve: Serve) -> None:
    _, h = serve(calls_elf())
    first = RawClient(h.port)
    first.handshake()
    second = RawClient(h.port)
    reply = second.handshake()
    assert reply == b"E.another gdb client is already connected to this session"
    with pytest.raises((EOFError, ConnectionError)):
        second.request("g")
    assert first.request("m1000,4") == b"38207000"


def test_client_vanishing_mid_packet_leaves_the_session_usable(serve: Serve) -> None:
    ctl, h = serve(calls_elf())
    c = RawClient(h.port)
    c.handshake()
    assert c.request(f"Z0,{BUMP:x},4") == b"OK"
    c.raw(b"$m1000,")
    c.close()
    wait_for(lambda: not h.connected)
    assert list(ctl.breakpoints) == []  # gdb's breakpoints left with it
    again = RawClient(h.port)
    again.handshake()
    assert again.request("m1000,4") == b"38207000"


def test_client_vanishing_mid_continue_halts_it(serve: Serve) -> None:
    ctl, h = serve(calls_elf())
    c = RawClient(h.port)
    c.handshake()
    c.send("vCont;c")
    assert c.read_byte() == b"+"
    wait_for(lambda: ctl.running)
    c.sock.shutdown(socket.SHUT_RDWR)
    c.close()
    wait_for(lambda: not h.connected and not ctl.running)
    assert ctl.step(0).reason == "step"  # the controller is free again


def test_detach_and_kill_end_the_connection_not_the_session(serve: Serve) -> None:
    ctl, h = serve(calls_elf())
    for bye in ("D", "k", "vKill;1"):
        c = RawClient(h.port)
        c.handshake()
        c.request(f"Z0,{BUMP:x},4")
        c.send(bye)
        if bye != "k":
            assert c.read_packet() == b"OK"
        with pytest.raises((EOFError, ConnectionError)):
            c.read_packet()
        wait_for(lambda: not h.connected)
        assert list(ctl.breakpoints) == []
    assert ctl.step(0).reason == "step"


def test_close_drops_the_client_and_stops_listening(serve: Serve) -> None:
    _, h = serve(calls_elf())
    c = RawClient(h.port)
    c.handshake()
    h.close()
    with pytest.raises((EOFError, ConnectionError)):
        c.request("g")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", h.port), timeout=1)


def test_packet_reader_splits_streams_anywhere() -> None:
    stream = b"+" + frame(b"m1000,4") + b"\x03" + frame(b"X0,2:}\x03}\x04") + b"-"
    kinds = []
    reader = PacketReader()
    for i in range(len(stream)):  # one byte at a time
        kinds += [type(x).__name__ for x in reader.feed(stream[i : i + 1])]
    assert kinds == ["Ack", "Packet", "Interrupt", "Packet", "Ack"]
    rle = b"$ab*\x22#%02x" % ((0x61 + 0x62 + 0x2A + 0x22) & 0xFF)  # b, then 5 more
    assert list(PacketReader().feed(rle)) == [Packet(b"abbbbbb")]


def test_server_threads_do_not_leak(serve: Serve) -> None:
    before = threading.active_count()
    _, h = serve(calls_elf())
    for _ in range(3):
        c = RawClient(h.port)
        c.handshake()
        c.close()
        wait_for(lambda: not h.connected)
    h.close()
    wait_for(lambda: threading.active_count() <= before)


def test_guest_console_output_reaches_gdb_before_the_stop(serve: Serve) -> None:
    elf = (ROOT / "examples/guest_console.elf").read_bytes()
    ctl, h = serve(elf, profile="guest")
    c = RawClient(h.port)
    c.handshake()
    done = ctl.symbol("done")
    assert c.request(f"Z0,{done:x},4") == b"OK"
    c.send("vCont;c")
    console = c.read_packet()
    assert bytes.fromhex(console[1:].decode()) == b"hello from the guest\ndone\n"
    assert c.read_packet() == b"T0520:%016x;thread:p1.1;swbreak:;" % done


ATTN = """
    .text
    .org 0x1000
    .globl _start
_start:
    lis     3, 0x1000           # HID0[ENABLE_ATTN] (IBM bit 3)
    sldi    3, 3, 32
    mtspr   1008, 3
    attn
"""


def test_a_vcpu_that_stops_for_good_ends_the_continue_with_a_message(serve: Serve) -> None:
    ctl, h = serve(assemble_elf(ATTN))
    c = RawClient(h.port)
    c.handshake()
    out, reply = c.request_with_output("vCont;c")
    assert out == "ppcdbg: exit: vCPU 0: attn\n"
    assert reply == b"T0520:000000000000100c;thread:p1.1;"
    assert c.request("?") == b"T0520:000000000000100c;thread:p1.1;"  # no O packet here


def test_a_short_G_is_refused_and_changes_nothing(calls: tuple[Controller, RawClient]) -> None:
    ctl, c = calls
    g = bytearray.fromhex(c.request("g").decode())
    g[3 * 8 : 4 * 8] = (0x1122334455667788).to_bytes(8, "big")
    before = ctl.registers(0, ["r3"])["r3"]
    assert c.request(b"G" + g[: 32 * 8].hex().encode()) == b"E16"
    assert c.request(b"G" + (g + b"\0").hex().encode()) == b"E16"
    assert ctl.registers(0, ["r3"])["r3"] == before
    assert c.request(b"G" + g.hex().encode()) == b"OK"


def test_watchpoints_past_a_megabyte_or_the_top_of_memory_are_refused(
    calls: tuple[Controller, RawClient],
) -> None:
    ctl, c = calls
    assert c.request(f"Z2,{VALUE:x},{1 << 48:x}") == b"E16"
    assert c.request("Z3,fffffffffffffff0,20") == b"E16"
    assert list(ctl.breakpoints) == []
    assert c.request(f"Z2,{VALUE:x},{1 << 20:x}") == b"OK"
