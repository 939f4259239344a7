"""Every public strategy yields bytes the wire codecs dissect as the strategy intends."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz import strategies as fs
from reference_stack.wire.frame import dissect
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.tcp import ACK, TcpOptMalformed

ADDRS = fs.LinkAddresses.from_text("02:00:00:00:00:02", "02:00:00:00:00:01",
                                   "198.18.0.2", "198.18.0.1")
CONN = fs.ConnectionView(tester_port=40000, dut_port=80, snd_nxt=1000, rcv_nxt=0xFFFFFF00,
                         window=4096, ts_echo=77)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(fs.ethernet_frames(ADDRS))
def test_ethernet_frames_come_from_the_tester(frame):
    d = dissect(frame)
    assert d.eth is not None and d.eth.src == ADDRS.tester_mac
    assert d.eth.dst in (ADDRS.dut_mac, fs.BROADCAST_MAC)


@FAST
@given(fs.arp_frames(ADDRS))
def test_arp_frames_are_arp(frame):
    d = dissect(frame)
    assert d.eth.ethertype == 0x0806
    assert d.arp is not None or d.error.startswith("arp")


@FAST
@given(fs.ipv4_frames(ADDRS))
def test_ipv4_frames_are_valid(frame):
    d = dissect(frame)
    assert d.error is None and d.ipv4 is not None
    assert d.ipv4.header_checksum_ok() and d.ipv4.ttl >= 1 and d.ipv4.version == 4
    assert d.ipv4.total_length == len(d.eth.payload)


def _valid_except(ip: Ipv4Repr, frame: bytes) -> list[str]:
    """Which of the fields ipv4_corrupted_frames may break are broken in ``ip``."""
    broken = []
    if not ip.header_checksum_ok():
        broken.append("checksum")
    if ip.version != 4:
        broken.append("version")
    if ip.ihl != 5:
        broken.append("ihl")
    if ip.total_length != len(frame) - 14:
        broken.append("total_length")
    if ip.ttl == 0:
        broken.append("ttl")
    if ip.flag_reserved:
        broken.append("reserved")
    if ip.src != ADDRS.tester_ip:
        broken.append("src")
    if ip.dst != ADDRS.dut_ip:
        broken.append("dst")
    if ip.protocol not in (1, 17, 47, 253):
        broken.append("protocol")
    return broken


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(fs.ipv4_corrupted_frames(ADDRS))
def test_corrupted_ipv4_frames_break_exactly_one_field(frame):
    d = dissect(frame)
    assert d.ipv4 is not None
    broken = _valid_except(d.ipv4, frame)
    # A bad IHL or length also makes the header checksum computed over other octets.
    assert len(set(broken) - {"checksum"}) == 1 or broken == ["checksum"], broken


@FAST
@given(fs.ipv4_option_frames(ADDRS))
def test_option_frames_carry_options(frame):
    d = dissect(frame)
    assert d.ipv4.options and d.ipv4.ihl > 5 and d.ipv4.header_checksum_ok()


@FAST
@given(fs.ipv4_fragment_trains(ADDRS))
def test_fragment_trains_are_fragments_of_one_datagram(frames):
    ips = [dissect(f).ipv4 for f in frames]
    assert len({ip.ident for ip in ips}) == 1
    assert all(ip.is_fragment for ip in ips)
    assert all(ip.header_checksum_ok() for ip in ips)


@FAST
@given(fs.icmpv4_frames(ADDRS))
def test_icmpv4_frames_dissect_as_icmp(frame):
    d = dissect(frame)
    assert d.ipv4.protocol == 1 and d.icmpv4 is not None


@FAST
@given(fs.udp_frames(ADDRS, ports=(9,)))
def test_udp_frames_go_to_the_ports_asked(frame):
    d = dissect(frame)
    assert d.udp is not None and d.udp.dst_port == 9


def test_tcp_flags_cover_all_combinations():
    seen = set()

    @settings(max_examples=3000, deadline=None, database=None)
    @given(fs.tcp_flags())
    def collect(flags):
        seen.add(flags)

    collect()
    assert len(seen) > 200 and seen <= set(range(256))


@FAST
@given(fs.tcp_option_lists(malformed=True))
def test_option_lists_fit_the_header(options):
    assert sum(len(o.emit()) for o in options) <= 40


def test_malformed_option_lists_are_drawn():
    found = []

    @settings(max_examples=300, deadline=None, database=None)
    @given(fs.tcp_option_lists(malformed=True))
    def look(options):
        if options and isinstance(options[-1], TcpOptMalformed):
            found.append(options)

    look()
    assert found


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(fs.tcp_frames(ADDRS, CONN))
def test_tcp_frames_are_on_the_connection(frame):
    d = dissect(frame)
    assert d.ipv4.protocol == 6 and d.ipv4.header_checksum_ok()
    assert d.tcp is not None or d.error.startswith("tcp")
    if d.tcp is not None:
        assert (d.tcp.src_port, d.tcp.dst_port) == (40000, 80)


def test_seq_near_lands_in_and_around_the_window():
    inside, outside = [], []

    @settings(max_examples=400, deadline=None, database=None)
    @given(fs.seq_near(0xFFFFFFF0, 4096))
    def look(seq):
        (inside if (seq - 0xFFFFFFF0) % (1 << 32) < 4096 else outside).append(seq)

    look()
    assert inside and outside
    assert all(0 <= s < 1 << 32 for s in inside + outside)


@FAST
@given(fs.frame_sequences(ADDRS, CONN, max_frames=2))
def test_frame_sequences_are_one_or_two_frames(frames):
    assert 1 <= len(frames) <= 2
    assert all(isinstance(f, bytes) and dissect(f).eth is not None for f in frames)


@FAST
@given(fs.tcp_segments(CONN, flags=st.just(ACK)))
def test_segments_ack_near_what_the_dut_sent(seg):
    assert seg.flags == ACK
