"""The oracle follows the DUT's sysctls, and a wrong value is caught: a DUT (a reference stack
whose profile follows sysctl = the DUT's value) plays a timer-driven exchange on a virtual
clock; the lockstep oracle judges the recording once told the DUT's value (no divergence) and
once told another (planted) value, which must diverge. One case per behaviour issue 18 names:
SYN and SYN,ACK retries, TLP on and off, the reordering threshold, ECN, keepalive probes,
orphan retries; and the last ACK to a full accept queue (tcp_abort_on_overflow). Likewise the
DUT's route attributes (mtu, advmss, initrwnd, initcwnd, rto_min, quickack)."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from conformance.fabric.pcap import FrameRecord
from conformance.judge.sysctls import profile_with_sysctl
from conformance.judge.timeline import DutCall, Lockstep, replay
from conformance.targets.base import Endpoints
from reference_stack.profiles import LINUX, Profile
from reference_stack.route_metrics import RouteMetrics
from reference_stack.stack import CallResult, Reaction, ReferenceStack
from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.frame import dissect
from reference_stack.wire.tcp import ACK, CWR, ECE, FIN, RST, SYN, TcpOptSackPermitted
from tests.unit.refstack.harness import RawPeer, syn_options

ENDPOINTS = Endpoints("02:00:00:00:00:02", "198.18.0.2", "02:00:00:00:00:01", "198.18.0.1",
                      "", "", 24)
TESTER_PORT, DUT_PORT = 40000, 8080
SEED = 7
REPLY_DELAY = 0.0005  # the DUT's frames are captured just after what caused them


class Dut:
    """A reference stack standing in for the DUT: its frames and socket calls as a test's
    recording holds them (FrameRecord, DutCall), on a virtual clock."""

    def __init__(self, profile: Profile) -> None:
        e = ENDPOINTS
        self.stack = ReferenceStack(profile, mac(e.dut_mac), ip4(e.dut_ipv4),
                                    e.ipv4_prefix_len, rng_seed=SEED)
        self.stack.add_neighbor(ip4(e.tester_ipv4), mac(e.tester_mac))
        self.tester = RawPeer(self.stack, src_ip=ip4(e.tester_ipv4), src_mac=mac(e.tester_mac))
        self.now = 0.0
        self.frames: list[FrameRecord] = []
        self.calls: list[DutCall] = []
        self.sent: list = []  # the DUT's TCP segments, in order

    def _out(self, reaction: Reaction, t: float) -> None:
        for frame in reaction.frames:
            self.frames.append(FrameRecord(t + REPLY_DELAY, "in", frame))
            d = dissect(frame)
            if d.tcp is not None:
                self.sent.append(d.tcp)

    def call(self, name: str, *args) -> CallResult:
        """A socket call, recorded as the DUT API records it (send's flags last)."""
        if name == "socket":
            res = self.stack.socket(*args)
        elif name == "send":
            res = self.stack.send(*args, self.now)
            args = (*args, 0)
        else:
            res = getattr(self.stack, name)(*args, self.now)
        self.calls.append(DutCall(self.now, f"{name}_with_errno", args,
                                  (res.value, res.errno)))
        self._out(res.reaction, self.now)
        return res

    def tcp(self, flags: int, seq: int, ack: int = 0, payload: bytes = b"",
            options: tuple = (), sport: int = TESTER_PORT) -> None:
        frame = self.tester.tcp(sport, DUT_PORT, flags, seq, ack, payload, 65535, options)
        self.frames.append(FrameRecord(self.now, "out", frame))
        self._out(self.stack.receive(frame, self.now), self.now)

    def wait(self, until: float) -> None:
        """Run the DUT's timers up to `until` (seconds on the virtual clock)."""
        while (due := self.stack.poll_at()) is not None and due <= until:
            self.now = max(self.now, due)
            self._out(self.stack.poll(self.now), self.now)
        self.now = until

    def judged_with(self, profile: Profile) -> list[dict]:
        end = DutCall(self.now, "poll", (0, 1, 0.0), (0, 0))  # ends the recording
        return replay(Lockstep(profile, ENDPOINTS, SEED), self.frames,
                      [*self.calls, end]).divergence_dicts()


def _listen(dut: Dut, backlog: int = 8) -> int:
    fd = dut.call("socket", socket.AF_INET, socket.SOCK_STREAM).value
    dut.call("bind", fd, ("0.0.0.0", DUT_PORT))
    dut.call("listen", fd, backlog)
    dut.now += 0.01  # (a frame and a call at one instant replay frame first)
    return fd


def _established(dut: Dut, sack: bool = True) -> tuple[int, int, int]:
    """A passive open the tester completed: (DUT fd, tester's next seq, DUT's next seq)."""
    lfd = _listen(dut)
    dut.tcp(SYN, 1000, options=(TcpOptSackPermitted(),) if sack else ())
    synack = dut.sent[-1]
    dut.now += 0.01
    dut.tcp(ACK, 1001, synack.seq + 1)
    fd = dut.call("accept", lfd).value[0]
    return fd, 1001, synack.seq + 1


def syn_retries(dut: Dut) -> None:
    fd = dut.call("socket", socket.AF_INET, socket.SOCK_STREAM).value
    dut.call("connect", fd, (ENDPOINTS.tester_ipv4, 5001))
    dut.wait(40.0)


def synack_retries(dut: Dut) -> None:
    _listen(dut)
    dut.tcp(SYN, 1000)
    dut.wait(40.0)


def tail_loss_probe(dut: Dut) -> None:
    fd, _, _ = _established(dut)
    dut.now += 0.01
    dut.call("send", fd, b"x" * 100)
    dut.wait(0.9)


def reordering(dut: Dut) -> None:
    fd, seq, dut_seq = _established(dut, sack=False)
    dut.now += 0.01
    dut.call("send", fd, b"y" * 1448 * 8)
    for _ in range(5):  # duplicate ACKs of the first segment: 5 of them
        dut.now += 0.001
        dut.tcp(ACK, seq, dut_seq)
    dut.wait(dut.now + 0.05)


def ecn(dut: Dut) -> None:
    _listen(dut)
    dut.tcp(SYN | ECE | CWR, 1000)


def keepalive(dut: Dut) -> None:
    fd, _, _ = _established(dut)
    dut.call("setsockopt", fd, socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    dut.wait(30.0)


def orphan_retries(dut: Dut) -> None:
    fd, _, _ = _established(dut)
    dut.now += 0.01
    dut.call("send", fd, b"z" * 100)
    dut.call("close", fd)
    dut.wait(60.0)


def accept_overflow(dut: Dut) -> None:
    """Backlog 1: one connection queued, two more handshakes; the second's last ACK finds the
    accept queue full (suites/tcp/test_listen_backlog.py)."""
    _listen(dut, backlog=1)
    ports = (TESTER_PORT, TESTER_PORT + 1, TESTER_PORT + 2)
    dut.tcp(SYN, 1000, sport=ports[0])
    dut.tcp(ACK, 1001, dut.sent[-1].seq + 1, sport=ports[0])
    synacks = {}
    for port in ports[1:]:
        dut.tcp(SYN, 1000, sport=port)
        synacks[port] = dut.sent[-1].seq
    for port in ports[1:]:
        dut.now += 0.001
        dut.tcp(ACK, 1001, synacks[port] + 1, sport=port)
    dut.wait(1.5)


CASES = {  # scenario, sysctl, the DUT's value, a planted other value
    "syn-retries": (syn_retries, "net.ipv4.tcp_syn_retries", "2", "3"),
    "synack-retries": (synack_retries, "net.ipv4.tcp_synack_retries", "1", "2"),
    "tlp-on": (tail_loss_probe, "net.ipv4.tcp_early_retrans", "3", "0"),
    "tlp-off": (tail_loss_probe, "net.ipv4.tcp_early_retrans", "0", "3"),
    # (a DUT with a raised threshold retransmits at its RTO, 200 ms after the oracle told 3
    # would: within the matcher's latitude for a late frame, so the planted value is the
    # raised one)
    "reordering": (reordering, "net.ipv4.tcp_reordering", "3", "10"),
    "ecn-on": (ecn, "net.ipv4.tcp_ecn", "2", "0"),
    "ecn-off": (ecn, "net.ipv4.tcp_ecn", "0", "2"),
    "ecn-active-open": (syn_retries, "net.ipv4.tcp_ecn", "1", "2"),
    "ecn-fallback": (syn_retries, "net.ipv4.tcp_ecn_fallback", "0", "1"),
    "keepalive": (keepalive, "net.ipv4.tcp_keepalive_time", "10", "20"),
    "keepalive-probes": (keepalive, "net.ipv4.tcp_keepalive_probes", "1", "3"),
    "orphan-retries": (orphan_retries, "net.ipv4.tcp_orphan_retries", "1", "3"),
    "abort-on-overflow": (accept_overflow, "net.ipv4.tcp_abort_on_overflow", "1", "0"),
    "overflow-dropped": (accept_overflow, "net.ipv4.tcp_abort_on_overflow", "0", "1"),
}
KEEPALIVE_FAST = {"net.ipv4.tcp_keepalive_time": "5", "net.ipv4.tcp_keepalive_intvl": "2"}
COMPANIONS = {  # what a case's DUT sets besides the sysctl under test
    "net.ipv4.tcp_keepalive_time": KEEPALIVE_FAST,
    "net.ipv4.tcp_keepalive_probes": KEEPALIVE_FAST,
    "net.ipv4.tcp_ecn_fallback": {"net.ipv4.tcp_ecn": "1"},  # ECN-setup SYNs to fall back
}


def _profile(key: str, value: str) -> Profile:
    p = LINUX
    for k, v in COMPANIONS.get(key, {}).items():
        p = profile_with_sysctl(p, k, v)
    changed = profile_with_sysctl(p, key, value)
    assert changed is not None, f"{key} is not modelled"
    return changed


@pytest.mark.parametrize("case", CASES)
def test_the_oracle_told_the_duts_value_agrees_and_a_planted_value_diverges(case):
    scenario, key, value, planted = CASES[case]
    dut = Dut(_profile(key, value))
    scenario(dut)
    assert dut.sent, "the scenario made the DUT send nothing"
    assert dut.judged_with(_profile(key, value)) == []
    wrong = dut.judged_with(_profile(key, planted))
    assert wrong, f"the oracle told {key}={planted} (the DUT has {value}) found nothing"


def test_the_scenarios_show_the_behaviour_each_sysctl_sets():
    """What each value does on the wire (so the cases above test what they name)."""
    def run(scenario, key, value):
        dut = Dut(_profile(key, value))
        scenario(dut)
        return dut.sent

    syns = lambda segs: sum(1 for s in segs if s.flags == SYN)  # noqa: E731
    # the SYN, tcp_syn_retries and tcp_syn_linear_timeouts (4) retransmissions
    assert syns(run(syn_retries, "net.ipv4.tcp_syn_retries", "2")) == 1 + 2 + 4
    synacks = [s for s in run(synack_retries, "net.ipv4.tcp_synack_retries", "1")
               if s.flags == SYN | ACK]
    assert len(synacks) == 2
    assert [s.flags & ECE for s in run(ecn, "net.ipv4.tcp_ecn", "0")] == [0]
    # tcp_ecn = 1: an ECN-setup SYN, its retransmissions plain (tcp_ecn_fallback = 1)
    syn_flags = [s.flags for s in run(syn_retries, "net.ipv4.tcp_ecn", "1")]
    assert syn_flags[0] == SYN | ECE | CWR and set(syn_flags[1:]) == {SYN}
    no_fallback = run(syn_retries, "net.ipv4.tcp_ecn_fallback", "0")
    assert {s.flags for s in no_fallback} == {SYN | ECE | CWR}
    # orphan, tcp_orphan_retries = 1: given up once 0.6 s (tcp_model_timeout) passed since the
    # first retransmission: two retransmissions of the data with the FIN (as measured on 6.18)
    orphan = [s for s in run(orphan_retries, "net.ipv4.tcp_orphan_retries", "1")
              if s.payload]
    assert len(orphan) == 3 and orphan[-1].flags & FIN
    # reordering: the fast retransmission follows the third duplicate ACK, not with 10 (the
    # duplicate ACKs may release new data meanwhile: RFC 3042, tcp/recovery.py's pipe)
    def fast(v):
        data = [s for s in run(reordering, "net.ipv4.tcp_reordering", v) if s.payload]
        return [s for s in data[10:] if s.seq == data[0].seq]  # the first segment again
    assert len(fast("3")) == 1 and fast("10") == []
    # keep-alive: probes at SND.UNA - 1 without data, then a RST (tcp_keepalive_timer)
    probes = run(keepalive, "net.ipv4.tcp_keepalive_probes", "2")[1:]  # after the SYN,ACK
    assert [s.flags for s in probes] == [ACK, ACK, RST | ACK]
    assert probes[0].seq == probes[2].seq - 1 and not probes[0].payload
    # a full accept queue: the last ACK draws a RST (1), or nothing and the SYN,ACK again 1 s
    # later (0), as measured on 6.18
    overflow = lambda v: [s.flags for s in  # noqa: E731
                          run(accept_overflow, "net.ipv4.tcp_abort_on_overflow", v)]
    assert overflow("1") == [SYN | ACK] * 3 + [RST]
    assert overflow("0") == [SYN | ACK] * 4


# -- route attributes (reference_stack/route_metrics.py): the DUT's IPv4 route has them --

def passive_data(dut: Dut) -> None:
    """A passive open with timestamps, then the DUT sends 8000 octets and the tester
    acknowledges nothing: the SYN,ACK's MSS and window, the first flight's segments."""
    _listen(dut)
    dut.tcp(SYN, 1000, options=syn_options())
    synack = dut.sent[-1]
    dut.now += 0.01
    dut.tcp(ACK, 1001, synack.seq + 1, options=syn_options()[2:3])
    fd = dut.call("accept", 3).value[0]
    dut.now += 0.01
    dut.call("send", fd, b"m" * 8000)


def active_open(dut: Dut) -> None:
    """The DUT's SYN: its MSS and window."""
    fd = dut.call("socket", socket.AF_INET, socket.SOCK_STREAM).value
    dut.call("connect", fd, (ENDPOINTS.tester_ipv4, 5001))


def retransmission(dut: Dut) -> None:
    """Data never acknowledged: the RTO's floor sets when it goes again."""
    fd, _, _ = _established(dut)
    dut.now += 0.01
    dut.call("send", fd, b"r" * 100)
    dut.wait(dut.now + 0.5)


ROUTE_CASES = {  # scenario, the DUT's route, a planted other route
    "route-mtu": (passive_data, RouteMetrics(mtu=1400), RouteMetrics()),
    "route-mtu-active": (active_open, RouteMetrics(mtu=1400), RouteMetrics(mtu=1300)),
    "route-advmss": (active_open, RouteMetrics(advmss=1000), RouteMetrics()),
    "route-initrwnd": (passive_data, RouteMetrics(initrwnd=4), RouteMetrics(initrwnd=10)),
    "route-initcwnd": (passive_data, RouteMetrics(initcwnd=4), RouteMetrics()),
    "route-initcwnd-10": (passive_data, RouteMetrics(), RouteMetrics(initcwnd=4)),
    "route-rto-min": (retransmission, RouteMetrics(rto_min=0.05), RouteMetrics()),
}


def _routed(route: RouteMetrics) -> Profile:
    return dataclasses.replace(LINUX, route4=route)


@pytest.mark.parametrize("case", ROUTE_CASES)
def test_the_oracle_told_the_duts_route_agrees_and_a_planted_route_diverges(case):
    scenario, route, planted = ROUTE_CASES[case]
    dut = Dut(_routed(route))
    scenario(dut)
    assert dut.sent, "the scenario made the DUT send nothing"
    assert dut.judged_with(_routed(route)) == []
    assert dut.judged_with(_routed(planted)), f"the oracle told {planted} found nothing"
    # (an IPv6 route's attributes judge no IPv4 connection: told them there, nothing diverges
    # that the IPv4 route does not already explain)
    six = dataclasses.replace(_routed(route), route6=planted)
    assert dut.judged_with(six) == []


def test_a_delayed_ack_diverges_only_where_the_oracle_is_told_quickack():
    """Linux without quickack delays the ACK of data in ping-pong mode (measured on 6.18: 43
    ms); with a route's quickack it ACKs at once (0 ms). A recording whose ACK came 40 ms
    late, a barrier between: agrees with the oracle told no quickack, diverges from one told
    quickack."""
    dut = Dut(LINUX)
    _, seq, dut_seq = _established(dut)
    dut.now += 0.01
    sent_before = len(dut.frames)
    dut.tcp(ACK, seq, dut_seq, payload=b"p" * 100)
    ack = dut.frames[-1]
    assert len(dut.frames) == sent_before + 2 and ack.direction == "in"
    dut.frames[-1] = FrameRecord(ack.t + 0.04, "in", ack.data)
    end = DutCall(dut.now + 0.1, "poll", (0, 1, 0.0), (0, 0))
    barrier = [dut.now + 0.002]

    def judged(route: RouteMetrics) -> list:
        return replay(Lockstep(_routed(route), ENDPOINTS, SEED), dut.frames,
                      [*dut.calls, end], barrier).divergence_dicts()

    assert judged(RouteMetrics()) == []
    assert judged(RouteMetrics(quickack=True))
