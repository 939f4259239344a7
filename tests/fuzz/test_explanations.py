"""Analysed divergences are recognised by signature or by the frame that diverged, and
nothing else is explained."""

from __future__ import annotations

from fuzz.explanations import explain
from fuzz.frames import FrameFactory
from fuzz.strategies import LinkAddresses
from reference_stack.wire.ethernet import ETH_P_IP, EthernetRepr
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.tcp import (
    ACK,
    FIN,
    PSH,
    SYN,
    TcpOptMalformed,
    TcpOptTimestamps,
    TcpOptUnknown,
)

ADDRS = LinkAddresses.from_text("02:00:00:00:00:02", "02:00:00:00:00:01",
                                "198.18.0.2", "198.18.0.1")


def test_known_signature_is_explained():
    assert explain(("RFC1122-3.2.2-MUST-silently-discard-unknown", "host",
                    "unexpected:icmp:14"))


def test_unknown_signature_is_not_explained():
    assert explain(("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED", "missing:tcp:.")) is None


def test_md5_option_explains_a_missing_answer_only():
    syn = FrameFactory(ADDRS).tcp(40000, 80, SYN, 1, options=(TcpOptUnknown(19, bytes(16)),))
    plain = FrameFactory(ADDRS).tcp(40000, 80, SYN, 1)
    signature = ("RFC9293-3.10.7.2-MUST-listen-syn", "LISTEN", "missing:tcp:S.")
    assert explain(signature, syn)
    assert explain(signature, plain) is None
    assert explain(("RFC9293-3.10.7.2-MUST-listen-syn", "LISTEN", "field:tcp.opt"), syn) is None


def test_igmp_explains_a_missing_protocol_unreachable():
    ip = Ipv4Repr(src=ADDRS.tester_ip, dst=ADDRS.dut_ip, protocol=2, payload=bytes(8))
    frame = EthernetRepr(ADDRS.dut_mac, ADDRS.tester_mac, ETH_P_IP, payload=ip.emit()).emit()
    assert explain(("RFC1122-3.2.2.1-SHOULD-protocol-unreachable", "host", "missing:icmp:3"),
                   frame)


def tcp(flags, seq=0x01000001, ack=0x80000001, options=()):
    return FrameFactory(ADDRS).tcp(40000, 80, flags, seq, ack, options)


def test_an_ack_less_segment_is_explained_only_without_ack_rst_syn():
    signature = ("RFC9293-3.10.7.4-MUST-first-check", "ESTABLISHED", "missing:tcp:.")
    assert explain(signature, tcp(FIN | PSH))
    assert explain(signature, tcp(FIN | ACK)) is None


def test_an_ack_below_snd_una_is_explained_by_the_challenge_ack_it_drew():
    signature = ("RFC9293-3.10.7-MUST-demux", "ESTABLISHED", "unexpected:tcp:.")
    old = tcp(ACK, ack=0x80000000)  # the DUT's ISN: SND.UNA - 1 (canonical space)
    challenge = FrameFactory(ADDRS).tcp(80, 40000, ACK, 0x80000001, 0x01000001)
    assert explain(signature, old, old, [challenge])
    assert explain(signature, tcp(ACK), tcp(ACK), [challenge]) is None  # ACK = SND.UNA
    assert explain(signature, old, old, []) is None  # no challenge ACK seen


def test_duplicate_timestamps_explain_the_echoed_tsval_only_when_there_are_two():
    signature = ("RFC9293-3.10.7.2-MUST-listen-syn", "LISTEN", "field:tcp.opt")
    one = (TcpOptTimestamps(1, 0),)
    assert explain(signature, tcp(SYN, options=one + one))
    assert explain(signature, tcp(SYN, options=one)) is None


def test_a_broken_option_area_explains_silence_only_from_18_octets_on():
    signature = ("RFC9293-3.10.7.2-MUST-listen-syn", "LISTEN", "missing:tcp:S.")
    long_broken = tcp(SYN, options=(TcpOptMalformed(bytes.fromhex("051a") + bytes(22)),))
    short_broken = tcp(SYN, options=(TcpOptMalformed(bytes.fromhex("051a") + bytes(10)),))
    assert explain(signature, long_broken)
    assert explain(signature, short_broken) is None
