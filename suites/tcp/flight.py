"""A DUT sending a flight of full-sized segments to the tester, for the congestion control and
loss recovery tests (RFC 5681, 6582, 6675, 8985, 6937): the tester sees each segment, and
acknowledges (cumulatively, with SACK blocks, or duplicates) as a receiver that lost some.

The tester announces MSS 1000, so each DUT segment carries ``Flight.size`` octets (988 with
timestamps, RFC 6691; 960 where the stack keeps room for SACK blocks too): small enough that
a flight of tens of segments fits the DUT's send buffer in one ``send()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.author.dut_route import set_dut_route
from conformance.author.tcp_connection import TcpConnection, seq_add
from reference_stack.tcp.options import send_option_reserve
from reference_stack.tcp.seq import seq_diff
from reference_stack.wire import tcp as tcpw
from reference_stack.wire.frame import dissect

from ..ipv4.dut_sysctl import set_dut_sysctl
from .options import passive_peer_mss, syn_options
from .states import listen, passive_open

TESTER_MSS = 1000


def data_segment(flags: int) -> bool:
    """a segment without SYN, FIN or RST"""
    return not flags & (tcpw.SYN | tcpw.FIN | tcpw.RST)


@dataclass
class Flight:
    """The tester's side of a connection over which the DUT sends data."""

    conn: TcpConnection
    fd: int
    dut: Any
    size: int  # the DUT's segment size (its MSS less the option space)
    start: int  # the DUT's sequence number of the first octet written
    written: int = 0
    seen: list[tcpw.TcpRepr] = field(default_factory=list)
    idents: dict[int, int] = field(default_factory=dict)  # IPv4 Identification by segment
    sack_ok: bool = True  # SACK negotiated: the tester offered it and the DUT agreed

    def lose_first(self, arrived: int) -> None:
        """Segment 0 was lost and segments 1 to ``arrived`` arrived: their SACK block where
        SACK was negotiated, else (RFC 5681 3.2) one duplicate ACK per segment, the third of
        which starts fast retransmit."""
        if self.sack_ok:
            self.ack(0, sack=((1, arrived + 1),))
        else:
            for _ in range(arrived):
                self.ack(0)

    def seq(self, index: int) -> int:
        """The DUT's sequence number of segment ``index`` (0-based) of what was written."""
        return seq_add(self.start, index * self.size)

    def write(self, segments: int) -> None:
        """The DUT writes ``segments`` full-sized segments."""
        data = bytes((self.written + i) & 0xFF for i in range(segments * self.size))
        sent = self.dut.send(self.fd, data)
        assert sent == len(data), f"send() took {sent} of {len(data)} octets"
        self.written += segments * self.size

    def first_flight(self, segments: int, needs: int | None = None) -> int:
        """The DUT writes ``segments`` and sends its first flight; a DUT whose initial window
        is smaller than ``needs`` (all of them by default; RFC 5681 3.1 allows two segments)
        skips the test, which needs that many in flight. Returns how many arrived."""
        needs = segments if needs is None else needs
        self.write(segments)
        got = self.drain()
        if len(got) < needs:
            pytest.skip(f"the DUT's first flight is {len(got)} segments (its initial window, "
                        f"RFC 5681 3.1): the test needs {needs} in flight")
        return len(got)

    def take(self, count: int, timeout: float = 3.0) -> list[tcpw.TcpRepr]:
        """The next ``count`` data segments the DUT sends, in order of arrival."""
        got = [self.conn.expect(flags=data_segment, timeout=timeout) for _ in range(count)]
        self.seen += got
        return got

    def drain(self) -> list[int]:
        """The indices of the data segments the DUT sent up to now (a barrier: what an ACK
        released arrives before the DUT answers the probe that follows it)."""
        got = []
        for frame in self.conn.ex.settle():
            d = dissect(frame)
            seg = d.tcp
            if (seg is None or seg.src_port != self.conn.dut_port
                    or seg.dst_port != self.conn.tester_port or not seg.payload):
                continue
            self.conn._learn(seg)
            self.seen.append(seg)
            got.append(self.index(seg))
            if d.ipv4 is not None:
                self.idents.setdefault(got[-1], d.ipv4.ident)
        return got

    def retransmission(self, index: int, timeout: float = 3.0) -> tcpw.TcpRepr:
        """The next DUT segment, which must be segment ``index`` sent again."""
        seg = self.conn.expect(flags=data_segment, timeout=timeout)
        assert self.index(seg) == index, (
            f"expected segment {index} again, got segment {self.index(seg)}: {seg.summary()}")
        return seg

    def ack_all(self) -> None:
        """Everything written is acknowledged."""
        self.ack(self.written // self.size)

    def index(self, seg: tcpw.TcpRepr) -> int:
        """Which segment of the flight ``seg`` starts (0-based)."""
        off = seq_diff(seg.seq, self.start)
        assert off % self.size == 0, f"segment at offset {off} is not segment-aligned"
        return off // self.size

    def ack(self, upto: int, sack: tuple[tuple[int, int], ...] = ()) -> None:
        """A cumulative ACK of segments [0, upto), with SACK blocks given as segment index
        ranges [a, b) (RFC 2018 3)."""
        blocks = tuple((self.seq(a), self.seq(b)) for a, b in sack)
        opts = self.conn._options(tcpw.ACK)
        if blocks:
            opts = opts + (tcpw.TcpOptNop(), tcpw.TcpOptNop(), tcpw.TcpOptSack(blocks))
        self.conn.send(flags="A", ack=self.seq(upto), options=opts)


def needs_reads_within_the_rto(bed: Any) -> None:
    """Skip a test that reads the DUT's answers between its own ACKs and counts on no
    retransmission timeout in between, where reading cannot be that quick: a DUT that answers
    no barrier synchronously is read by waiting out its quiescence window, and a window as
    long as the DUT's minimum RTO (RFC 6298 2.4) lets the timer fire while the tester reads."""
    caps, rto_min = bed.capabilities, bed.oracle_profile.rto_min
    if caps.replies_synchronously or caps.barrier_grace_s is not None:
        return  # (read by a barrier: at once, or within its grace window)
    if caps.quiescence_window_s >= rto_min:
        pytest.skip(f"the DUT answers no barrier synchronously: each read waits its quiescence "
                    f"window ({caps.quiescence_window_s:g} s), as long as its minimum RTO "
                    f"({rto_min:g} s), so its retransmission timer fires while the tester reads")


def needs_probes_off(bed: Any, sack: bool = True, probes: bool = False) -> None:
    """Skip a flight (open_flight) without tail loss probes (not ``probes``) on a connection
    that negotiates SACK where the DUT sends them (RFC 8985 7.2: probes need SACK) and cannot
    be told not to: a test opening one with SACK declares
    ``@before_bed(needs_probes_off)`` to skip before its bed is made
    (conformance.author.before_bed)."""
    if (bed.set_dut_sysctl is None and not probes and sack
            and bed.oracle_profile.tail_loss_probe):
        pytest.skip("the DUT sends tail loss probes (RFC 8985 7) and offers no per-test sysctl "
                    "to turn them off: a probe (2 SRTT, milliseconds here) would race the "
                    "tester's ACKs")


def reno_congestion_control(bed: Any) -> None:
    """Reno in a kernel DUT (nothing elsewhere), the congestion control every namespace may
    choose: a host may have chosen another default, e.g. BBR, whose window the oracle does not
    model (bbr_set_cwnd grows it by what an ACK delivered, a duplicate ACK counted by
    tcp_add_reno_sack included); CUBIC may be barred from a namespace
    (tcp_allowed_congestion_control): conformance/judge/sysctls.py."""
    if bed.set_dut_sysctl is not None:
        set_dut_sysctl(bed, "net.ipv4.tcp_congestion_control", "reno")


def no_tail_loss_probes(bed: Any) -> None:
    """No tail loss probes in a kernel DUT (Linux net.ipv4.tcp_early_retrans = 0,
    tcp_schedule_loss_probe), nothing elsewhere (no per-test sysctl): on a veth a probe's
    timeout is 2 SRTT + 2 ms, so on a loaded machine the probe races the tester's ACKs (it went
    before the DUT read the ACK the test sent: the DUT's clock and the oracle's, replaying the
    recorded times, then disagree on which came first)."""
    if bed.set_dut_sysctl is not None:
        set_dut_sysctl(bed, "net.ipv4.tcp_early_retrans", "0")


def sends_loss_probes(bed: Any) -> bool:
    """Whether the DUT sends tail loss probes (RFC 8985 7) on a connection the tester opened
    offering SACK: the profile's probes, on a connection that negotiated SACK (Linux
    tcp_schedule_loss_probe returns early unless tcp_is_sack: RFC 8985 7.2 probes need SACK;
    tcp/loss_probe.py). Without them the RTO retransmits the earliest segment (RFC 6298 5.4)."""
    p = bed.oracle_profile
    return p.tail_loss_probe and p.sack


def initial_window_for(ex: Any, bed: Any, segments: int) -> int | None:
    """A test whose first flight needs ``segments``: where the DUT's route to the tester gives
    a smaller initial window (an operator's initcwnd, RFC 5681 3.1 allowing less), a DUT with
    a routing table gets initcwnd ``segments`` on it for this test (conformance.author.dut_route,
    the oracle following), before the connection opens; a test about what follows the first
    flight (test_initial_window.py and test_route_attributes.py are about the first one).
    Returns the initial window of the test's connections, in segments (None: RFC 5681 3.1's
    formula)."""
    initial = bed.oracle_profile.initial_cwnd(ex.family.wire == "ipv6")
    if (initial is not None and initial < segments
            and getattr(bed, "set_dut_route", None) is not None):
        set_dut_route(bed, ex.family.wire, initcwnd=segments)
        return segments
    return initial


def open_flight(ex: Any, dut: Any, endpoints: Any, bed: Any, sack: bool = True,
                probes: bool = False, in_flight: int = 0) -> Flight:
    """An established connection the tester opened (MSS 1000, timestamps, SACK-permitted if
    ``sack``), with Reno congestion control in a kernel DUT; unless ``probes``, tail loss
    probes are off in the DUT (Linux: net.ipv4.tcp_early_retrans = 0,
    tcp_schedule_loss_probe) so that on a link whose RTT is microseconds a probe does not
    race the tester's ACKs. ``in_flight``: the segments the test's first flight needs
    (initial_window_for)."""
    if in_flight:
        initial_window_for(ex, bed, in_flight)
    if bed.set_dut_sysctl is not None:
        reno_congestion_control(bed)
        if not probes:
            no_tail_loss_probes(bed)
    needs_probes_off(bed, sack, probes)
    lst = listen(dut, endpoints, family=ex.family)
    conn, fd = passive_open(ex, dut, endpoints, lst,
                            syn_options=syn_options(mss=TESTER_MSS, sack=sack))
    # RFC 6691 2: the segment is the MSS less the options; a stack that sizes segments for
    # its largest option area (profile mss_reserves_sack) deducts the SACK option's room too.
    # The MSS is the tester's as the DUT keeps it: a SYN cookie's table entry below it when
    # every passive open is a cookie (net.ipv4.tcp_syncookies = 2: passive_peer_mss).
    profile = bed.oracle_profile
    mss = passive_peer_mss(profile, TESTER_MSS, ex.family.wire == "ipv6")
    size = mss - send_option_reserve(conn.timestamps, sack and profile.sack,
                                     profile.mss_reserves_sack)
    assert conn.rcv_nxt is not None
    return Flight(conn, fd, dut, size, conn.rcv_nxt, sack_ok=sack and profile.sack)
