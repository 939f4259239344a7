"""Measurements behind reference_stack/tcp/send_buffer.py (not a suite: no oracle, no
assertions; collected only when named). Each case appends a JSON line to OUT with the counts a
kernel DUT's send() took and sk_wmem_queued / sk_sndbuf (SO_MEMINFO) and TCP_INFO after each:

    pytest -p no:xdist suites/tcp/measure_send_buffer.py --target linux --lockstep off
"""
import json
import socket
import struct

import pytest

from reference_stack.wire import tcp as tcpw

from .states import LISTEN_PORT, listen

SO_MEMINFO = 55
OUT = "/tmp/netconform-send-buffer.jsonl"
SYN_OPTIONS = (tcpw.TcpOptMss(1460), tcpw.TcpOptSackPermitted(), tcpw.TcpOptTimestamps(1, 0))


def meminfo(dut, fd):
    raw = dut.getsockopt(fd, socket.SOL_SOCKET, SO_MEMINFO, 36)
    v = struct.unpack("9I", raw[:36])
    return {"sndbuf": v[3], "wmem_queued": v[5], "wmem_alloc": v[2], "fwd": v[4]}


def accepted(ex, dut, endpoints, syn_window, mss, sndbuf, ts=True):
    listener = listen(dut, endpoints)
    if sndbuf:
        dut.setsockopt(listener, socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    opts = [tcpw.TcpOptMss(mss), tcpw.TcpOptSackPermitted()]
    if ts:
        opts.append(tcpw.TcpOptTimestamps(1, 0))
    conn = ex.tcp(dut_port=LISTEN_PORT, window=syn_window, syn_options=tuple(opts))
    conn.send(flags="S")
    conn.expect(flags="SA", ack=conn.snd_nxt)
    conn.window = 0
    conn.send(flags="A")
    fd, _ = dut.accept(listener)
    return conn, fd


def tinfo(dut, fd):
    raw = dut.getsockopt(fd, socket.IPPROTO_TCP, socket.TCP_INFO, 240)
    def g(off):
        return struct.unpack_from("I", raw, off)[0]

    return {"snd_mss": g(16), "unacked": g(24), "notsent": g(144), "dsegs_out": g(156),
            "snd_wnd": g(228) if len(raw) >= 232 else None}


def record(**kw):
    with open(OUT, "a") as f:
        f.write(json.dumps(kw) + "\n")


@pytest.mark.parametrize("sndbuf", [0, 2304, 4608, 8192, 16384, 40000])
@pytest.mark.parametrize("mss", [536, 1460])
@pytest.mark.parametrize("syn_window", [1000, 8192, 64240])
@pytest.mark.parametrize("ts", [True, False])
def test_closed_window(ex, dut, endpoints, sndbuf, mss, syn_window, ts):
    conn, fd = accepted(ex, dut, endpoints, syn_window, mss, sndbuf, ts)
    m0 = meminfo(dut, fd)
    steps = []
    for n in (100, 3000, 200000, 1, 1):
        v, err = dut.send_with_errno(fd, b"x" * n, socket.MSG_DONTWAIT)
        steps.append((n, v, err, meminfo(dut, fd)["wmem_queued"]))
    record(case="closed", sndbuf=sndbuf, mss=mss, syn_window=syn_window, ts=ts, m0=m0,
           steps=steps, getsockopt=dut.getsockopt(fd, socket.SOL_SOCKET, socket.SO_SNDBUF))


@pytest.mark.parametrize("sndbuf", [4608, 8192])
@pytest.mark.parametrize("first", [200000, 3000])
def test_closed_window_big_first(ex, dut, endpoints, sndbuf, first):
    conn, fd = accepted(ex, dut, endpoints, 64240, 1460, sndbuf)
    steps = []
    for n in (first, 200000, 200000):
        v, err = dut.send_with_errno(fd, b"x" * n, socket.MSG_DONTWAIT)
        steps.append((n, v, err, meminfo(dut, fd)["wmem_queued"]))
    record(case="bigfirst", sndbuf=sndbuf, first=first, steps=steps)


@pytest.mark.parametrize("sndbuf", [4608, 8192])
@pytest.mark.parametrize("step", [1448, 2896, 5000])
def test_window_opens_by_steps(ex, dut, endpoints, sndbuf, step):
    conn, fd = accepted(ex, dut, endpoints, 64240, 1460, sndbuf)
    steps = []
    v, err = dut.send_with_errno(fd, b"x" * 200000, socket.MSG_DONTWAIT)
    steps.append(("send", v, err, meminfo(dut, fd)["wmem_queued"], 0))
    una = conn.rcv_nxt
    for _ in range(6):
        conn.window = step
        conn.send(flags="A", ack=una)
        got = 0
        try:
            while got < step:
                seg = conn.expect(flags=None, timeout=0.5)
                got += len(seg.payload)
        except AssertionError:
            pass
        m = meminfo(dut, fd)["wmem_queued"]
        una = (una + got) & 0xFFFFFFFF
        conn.rcv_nxt = una
        conn.window = 0
        conn.send(flags="A", ack=una)
        ex.settle() if hasattr(ex, "settle") else None
        m2 = meminfo(dut, fd)["wmem_queued"]
        v, err = dut.send_with_errno(fd, b"y" * 200000, socket.MSG_DONTWAIT)
        steps.append(("open", got, m, m2, v, err, meminfo(dut, fd)["wmem_queued"]))
    record(case="steps", sndbuf=sndbuf, step=step, steps=steps)


@pytest.mark.parametrize("synack_window", [1000, 8192, 64240])
@pytest.mark.parametrize("ack_window", [0, 1000])
def test_active_open_max_window(ex, dut, endpoints, synack_window, ack_window):
    from .states import start_active_open
    conn, fd, syn = start_active_open(ex, dut, endpoints, window=synack_window,
                                      syn_options=SYN_OPTIONS)
    conn.rcv_nxt = (syn.seq + 1) & 0xFFFFFFFF
    conn.send(flags="SA")
    conn.expect(flags="A")
    dut.setsockopt(fd, socket.SOL_SOCKET, socket.SO_SNDBUF, 4608)
    conn.window = ack_window
    conn.send(flags="A")
    ex.settle()
    steps = []
    for n in (200000, 1):
        v, err = dut.send_with_errno(fd, b"x" * n, socket.MSG_DONTWAIT)
        steps.append((n, v, err, meminfo(dut, fd)["wmem_queued"]))
    record(case="active", synack_window=synack_window, ack_window=ack_window, steps=steps)


def _passive_behind_a_closed_window(ex, dut, endpoints, ack_window: int) -> int:
    """An accepted connection (listener SO_SNDBUF 4608) whose peer's handshake ACK offered
    ``ack_window`` and then closed the window: what the DUT sends is only queued."""
    listener = listen(dut, endpoints)
    dut.setsockopt(listener, socket.SOL_SOCKET, socket.SO_SNDBUF, 4608)
    conn = ex.tcp(dut_port=LISTEN_PORT, window=64240, syn_options=SYN_OPTIONS)
    conn.send(flags="S")
    conn.expect(flags="SA", ack=conn.snd_nxt)
    conn.window = ack_window
    conn.send(flags="A")
    fd, _ = dut.accept(listener)
    conn.window = 0
    conn.send(flags="A")  # closes the window without changing max_window
    ex.settle()
    return fd


@pytest.mark.parametrize("ack_window", [1000, 3000, 8192])
def test_passive_ack_window(ex, dut, endpoints, ack_window):
    fd = _passive_behind_a_closed_window(ex, dut, endpoints, ack_window)
    steps = []
    for n in (200000, 1):
        v, err = dut.send_with_errno(fd, b"x" * n, socket.MSG_DONTWAIT)
        steps.append((n, v, err, meminfo(dut, fd)["wmem_queued"]))
    record(case="passive_ack", ack_window=ack_window, steps=steps)


@pytest.mark.parametrize("ack_window", [1000, 8192])
@pytest.mark.parametrize("chunk", [100, 700])
def test_passive_ack_window_small_sends(ex, dut, endpoints, ack_window, chunk):
    fd = _passive_behind_a_closed_window(ex, dut, endpoints, ack_window)
    steps = []
    for n in [chunk] * 30:
        v, err = dut.send_with_errno(fd, b"x" * n, socket.MSG_DONTWAIT)
        steps.append((v, meminfo(dut, fd)["wmem_queued"], tinfo(dut, fd)))
        if err:
            break
    record(case="small", ack_window=ack_window, chunk=chunk, steps=steps)


@pytest.mark.parametrize("ack_window", [1000, 8192])
@pytest.mark.parametrize("chunk", [100, 700])
@pytest.mark.parametrize("gap", [0.0, 0.05])
def test_b2b(ex, dut, endpoints, ack_window, chunk, gap):
    import time
    fd = _passive_behind_a_closed_window(ex, dut, endpoints, ack_window)
    steps = []
    t0 = time.monotonic()
    for n in [chunk] * 30:
        v, err = dut.send_with_errno(fd, b"x" * n, socket.MSG_DONTWAIT)
        steps.append((v, round(time.monotonic() - t0, 4)))
        if gap:
            time.sleep(gap)
        if err:
            break
    record(case="b2b", ack_window=ack_window, chunk=chunk, gap=gap, steps=steps,
           m=meminfo(dut, fd)["wmem_queued"])
