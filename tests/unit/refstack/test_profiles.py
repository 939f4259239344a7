"""The linux profile reproduces a Linux 6.x host's choices; the rfc profile is the strict one."""

from __future__ import annotations

import dataclasses

import pytest

from reference_stack.profiles import GVISOR, LINUX, PROFILES, PYTCP, RFC
from reference_stack.socket_api import AF_INET, SOCK_STREAM
from reference_stack.tcp.state import State
from reference_stack.wire.frame import dissect
from reference_stack.wire.tcp import ACK, RST, SYN
from tests.unit.refstack.conn import bring_to
from tests.unit.refstack.harness import Link, make_stack, syn_options, tcp_of


def test_profiles_are_frozen_and_registered() -> None:
    assert PROFILES == {"rfc": RFC, "linux": LINUX, "pytcp": PYTCP, "gvisor": GVISOR}
    assert not (PYTCP.window_scaling or PYTCP.sack or PYTCP.timestamps)  # MSS-only SYNs
    with pytest.raises(dataclasses.FrozenInstanceError):
        LINUX.ttl = 1  # type: ignore[misc]
    assert LINUX.breaking("X").broken_rules == frozenset({"X"})
    assert LINUX.broken_rules == frozenset()


def test_linux_syn_layout() -> None:
    s = make_stack(LINUX)
    fd = s.socket(AF_INET, SOCK_STREAM).value
    frame = s.connect(fd, ("198.18.0.11", 80), 0.0).reaction.frames[0]
    d = dissect(frame)
    assert d.ipv4.ttl == 64 and d.ipv4.df
    assert d.tcp.window == 64240 and d.tcp.mss == 1460 and d.tcp.window_scale == 7
    assert [type(o).__name__ for o in d.tcp.options] == [
        "TcpOptMss", "TcpOptSackPermitted", "TcpOptTimestamps", "TcpOptNop",
        "TcpOptWindowScale"]
    assert d.tcp.timestamps[1] == 0
    assert 32768 <= d.tcp.src_port <= 60999


def test_linux_synack_window_and_options() -> None:
    c = bring_to(State.LISTEN, LINUX)
    seg = tcp_of(c.seg(SYN, options=syn_options()))[0]
    assert seg.flags == SYN | ACK and seg.window == 65160 and seg.window_scale == 7
    assert seg.mss == 1460 and seg.sack_permitted and seg.timestamps[1] == 100
    c2 = bring_to(State.LISTEN, LINUX)
    seg2 = tcp_of(c2.seg(SYN, options=syn_options(ts=None)))[0]
    assert seg2.window == 64240 and seg2.timestamps is None  # only what the SYN offered


def test_synack_without_peer_options() -> None:
    c = bring_to(State.LISTEN, LINUX)
    seg = tcp_of(c.seg(SYN))[0]
    assert seg.window_scale is None and not seg.sack_permitted and seg.timestamps is None
    assert c.tcb().mss == 536  # RFC 9293 3.7.1 default send MSS


def test_linux_rst_for_closed_port() -> None:
    c = bring_to(State.CLOSED, LINUX)
    r = c.seg(SYN, seq=5000)
    d = dissect(r.frames[0])
    assert d.tcp.flags == RST | ACK and d.tcp.seq == 0 and d.tcp.ack == 5001
    assert d.tcp.window == 0 and d.tcp.options == () and d.ipv4.ttl == 64


def test_rfc_profile_timers_differ() -> None:
    assert (RFC.rto_min, RFC.time_wait, RFC.reassembly_timeout) == (1.0, 240.0, 60.0)
    assert (LINUX.rto_min, LINUX.time_wait, LINUX.reassembly_timeout) == (0.2, 60.0, 30.0)


def test_deterministic_for_a_seed() -> None:
    def run() -> list[bytes]:
        link = Link(LINUX)
        fd = link.call(link.b, "socket", AF_INET, SOCK_STREAM).value
        link.call(link.b, "bind", fd, ("0.0.0.0", 80))
        link.call(link.b, "listen", fd, 4)
        afd = link.call(link.a, "socket", AF_INET, SOCK_STREAM).value
        link.call(link.a, "connect", afd, ("198.18.0.11", 80))
        link.call(link.a, "send", afd, b"x" * 5000)
        link.advance(5.0)
        return [d.eth.payload for _, d, _ in link.log]

    assert run() == run()


def test_linux_window_scale_follows_tcp_rmem() -> None:
    from reference_stack.profiles import linux_window_scale
    assert linux_window_scale(6291456) == 7 == LINUX.window_scale  # default tcp_rmem[2]
    assert linux_window_scale(33554432) == 10  # measured on a 6.18 host with 32 MiB
    assert linux_window_scale(1 << 40) == 14


SCENARIO = """
import hashlib, sys
sys.path.insert(0, {root!r})
from tests.unit.refstack.harness import connected_pair
link, a, lfd, b = connected_pair()
link.call(link.a, "send", a, b"x" * 20000)
link.call(link.b, "close", lfd)
link.advance(3.0)
h = hashlib.sha256()
for _, d, t in link.log:
    h.update(d.eth.payload)
print(h.hexdigest())
"""


def test_deterministic_across_hash_seeds() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = str(Path(__file__).resolve().parents[3])
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", SCENARIO.format(root=root)], env=env,
                             capture_output=True, text=True, check=True)
        digests.add(out.stdout.strip())
    assert len(digests) == 1
