"""The compact strategy (``fuzz.compact.compact_frames``, ``fuzz.compact``): all-zero
entropy decodes to each template's canonical valid frame, and its draws cover what the rich
strategies do (every flag combination, seq/ack in and around the windows, option lists
well-formed and broken, IPv4 corruptions, options, fragments, ICMP, UDP, ARP, Ethernet)."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import HealthCheck, given, settings

from fuzz import compact
from fuzz import strategies as fs
from fuzz.hypothesis_engine import draw_case
from reference_stack.wire.frame import dissect
from reference_stack.wire.tcp import ACK, TcpOptEol, TcpOptMalformed, TcpOptTimestamps

ADDRS = fs.LinkAddresses.from_text("02:00:00:00:00:02", "02:00:00:00:00:01",
                                   "198.18.0.2", "198.18.0.1")
CONN = fs.ConnectionView(tester_port=40000, dut_port=80, snd_nxt=1000, rcv_nxt=0xFFFFFF00,
                         window=4096, ts_echo=77)
DECODER = compact.CompactDecoder(ADDRS, CONN)
ZERO = bytes(compact.ENTROPY)


def entropies(n: int, seed: int = 0) -> list[bytes]:
    r = random.Random(seed)
    return [r.randbytes(compact.ENTROPY) for _ in range(n)]


def test_zero_entropy_is_the_canonical_valid_tcp_segment():
    d = dissect(DECODER.frame("tcp", ZERO))
    assert d.error is None and d.ipv4.header_checksum_ok()
    t = d.tcp
    assert (t.src_port, t.dst_port, t.flags, t.seq, t.ack) == (40000, 80, ACK, 1000, 0xFFFFFF00)
    assert t.window == 65535 and t.options == () and t.payload == b""
    assert t.urgent == 0 and t.reserved == 0


def test_zero_entropy_of_every_template_is_a_well_formed_frame():
    for template in compact.FRAME_TEMPLATES:
        d = dissect(DECODER.frame(template, ZERO))
        assert d.eth is not None and d.eth.src == ADDRS.tester_mac, template
        if d.ipv4 is not None and template != "ipv4_corrupted":
            assert d.error is None and d.ipv4.header_checksum_ok(), template
    frames = compact.fragments(ADDRS, ZERO)
    assert len(frames) == 2 and all(dissect(f).ipv4.is_fragment for f in frames)


def test_every_flag_combination_is_reachable_and_drawn():
    assert sorted(compact.FLAG_ORDER) == list(range(256))
    seen = {dissect(DECODER.frame("tcp", e)).tcp.flags for e in entropies(4000)
            if dissect(DECODER.frame("tcp", e)).tcp is not None}
    assert seen == set(range(256))


def test_tcp_segments_cover_seq_ack_options_and_odd_fields():
    seq_kinds, ack_kinds, options, odd = Counter(), Counter(), Counter(), Counter()
    for e in entropies(4000, seed=1):
        seg = compact.tcp_segment(e, CONN)
        off = (seg.seq - CONN.snd_nxt) % fs.MOD32
        seq_kinds["exact" if off == 0 else "inside" if off < CONN.window else "outside"] += 1
        if off == CONN.window - 1:
            seq_kinds["right_edge"] += 1
        if off == fs.MOD32 - 1:
            seq_kinds["just_before"] += 1
        aoff = (seg.ack - CONN.rcv_nxt) % fs.MOD32
        ack_kinds["exact" if aoff == 0 else "inside" if aoff < 65535 else "outside"] += 1
        opts = seg.options
        if not opts:
            options["none"] += 1
        elif isinstance(opts[-1], TcpOptMalformed):
            options["malformed"] += 1
        elif isinstance(opts[-1], TcpOptEol):
            options["eol"] += 1
        elif any(isinstance(o, TcpOptTimestamps) and o.tsecr == 77 for o in opts):
            options["timestamped"] += 1
        else:
            options["list"] += 1
        assert sum(len(o.emit()) for o in opts) <= 40
        odd.update(k for k in ("urgent", "reserved", "data_offset", "checksum")
                   if getattr(seg, k) not in (0, None))
        if seg.payload:
            odd["payload"] += 1
        if seg.window in (0, 1, 512):
            odd["small_window"] += 1
    assert set(seq_kinds) == {"exact", "inside", "outside", "right_edge", "just_before"}
    assert set(ack_kinds) == {"exact", "inside", "outside"}
    assert set(options) == {"none", "malformed", "eol", "timestamped", "list"}
    assert set(odd) == {"urgent", "reserved", "data_offset", "checksum", "payload",
                        "small_window"}


def test_every_ipv4_corruption_is_drawn_and_breaks_one_field():
    seen = Counter()
    for e in entropies(3000, seed=2):
        which = compact._pick(fs.CORRUPTIONS, e[0])
        d = dissect(compact.ipv4_corrupted(ADDRS, e))
        assert d.ipv4 is not None
        seen[which] += 1
    assert set(seen) == set(fs.CORRUPTIONS)


def test_host_templates_cover_their_families():
    kinds = Counter()
    for e in entropies(2000, seed=3):
        ip = dissect(compact.ipv4_options(ADDRS, e)).ipv4
        assert ip.options and ip.header_checksum_ok()
        kinds.update(type(o).__name__ for o in ip.options)
        kinds[f"icmp:{dissect(compact.icmp(ADDRS, e)).icmpv4.type}"] += 1
        kinds["udp:" + compact._pick(compact._UDP_SHAPES, e[3])] += 1
        kinds[f"arp:{dissect(compact.arp(ADDRS, e)).eth.ethertype}"] += 1
        kinds[f"frag:{len(compact.fragments(ADDRS, e))}"] += 1
    assert {"Ipv4OptNop", "Ipv4OptRecordRoute", "Ipv4OptLsrr", "Ipv4OptSsrr",
            "Ipv4OptTimestamp", "Ipv4OptRouterAlert", "Ipv4OptUnknown"} <= set(kinds)
    assert {"icmp:0", "icmp:3", "icmp:8", "icmp:11", "icmp:13"} <= set(kinds)
    assert {"udp:" + s for s in compact._UDP_SHAPES} <= set(kinds)
    assert {"frag:1", "frag:2", "frag:3", "frag:4", "frag:5"} <= set(kinds)


def test_the_strategy_draws_every_template():
    seen = Counter()
    by_frame = {}

    @settings(max_examples=600, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(compact.compact_cases(ADDRS, CONN, max_frames=2))
    def collect(frames):
        assert 1 <= len(frames) <= 2
        for f in frames:
            d = dissect(f)
            key = ("arp" if d.arp is not None or d.eth.ethertype == 0x0806 else
                   "tcp" if d.tcp is not None else "ip" if d.ipv4 is not None else "eth")
            seen[key] += 1
            by_frame[f] = key
        if dissect(frames[0]).ipv4 is not None and dissect(frames[0]).ipv4.is_fragment:
            seen["fragment"] += 1

    collect()
    assert {"arp", "tcp", "ip", "eth", "fragment"} <= set(seen)


def test_the_engine_draws_the_choices_of_the_strategy():
    """``draw_case`` replays the choice sequence ``compact_cases`` makes (same frames)."""
    from hypothesis.internal.conjecture.data import ConjectureData
    for seed in range(30):
        data = ConjectureData(random=random.Random(seed))
        frames = draw_case(data, DECODER, 2)
        data.freeze()
        again = ConjectureData.for_choices(data.choices)
        assert draw_case(again, DECODER, 2) == frames
        strategy = ConjectureData.for_choices(data.choices)
        from hypothesis.control import BuildContext
        with BuildContext(strategy, wrapped_test=None):
            assert strategy.draw(compact.compact_cases(ADDRS, CONN, max_frames=2)) == frames
