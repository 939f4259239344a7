"""UDP and ICMPv4."""

import pytest

from reference_stack.wire.addr import ip4
from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum
from reference_stack.wire.errors import WireError
from reference_stack.wire.icmpv4 import (
    ICMP_DEST_UNREACH,
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    ICMP_FRAG_NEEDED,
    ICMP_PARAM_PROBLEM,
    ICMP_PORT_UNREACH,
    ICMP_REDIRECT,
    ICMP_TIME_EXCEEDED,
    Icmpv4Packet,
    Icmpv4Repr,
)
from reference_stack.wire.udp import UdpPacket, UdpRepr

SRC = ip4("198.18.0.1")
DST = ip4("198.18.0.2")


def test_udp_emit_computes_length_and_checksum():
    wire = UdpRepr(5353, 53, b"query").emit(SRC, DST)
    assert wire[:6] == bytes.fromhex("14e90035000d")
    assert UdpRepr.parse(wire).checksum_ok(SRC, DST)
    assert not UdpRepr.parse(wire).checksum_ok(SRC, ip4("198.18.0.3"))


def find_payload_with_zero_checksum() -> bytes:
    """A 2-octet payload whose computed checksum is 0 (found by search, not hard-coded)."""
    for value in range(0x10000):
        payload = value.to_bytes(2, "big")
        header = bytes.fromhex("00010002000a0000")  # ports 1 > 2, length 10, checksum 0
        if internet_checksum(header + payload, pseudo_header_sum(SRC, DST, 17, 10)) == 0:
            return payload
    raise AssertionError("no payload gives a zero checksum")


def test_udp_computed_zero_checksum_is_sent_as_ffff():
    # RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
    wire = UdpRepr(1, 2, find_payload_with_zero_checksum()).emit(SRC, DST)
    assert wire[6:8] == b"\xff\xff"
    assert UdpRepr.parse(wire).checksum_ok(SRC, DST)


def test_udp_explicit_zero_checksum_means_none():
    wire = UdpRepr(1, 2, b"abc", checksum=0).emit(SRC, DST)
    assert wire[6:8] == b"\x00\x00"
    assert UdpRepr.parse(wire).checksum_ok(SRC, DST)


def test_udp_length_field_decides_the_payload():
    wire = UdpRepr(1, 2, b"abc").emit(SRC, DST)
    assert UdpRepr.parse(wire + b"pad").payload == b"abc"
    long = UdpRepr.parse(UdpRepr(1, 2, b"abc", length=100).emit(SRC, DST))
    assert long.length == 100 and long.payload == b"abc"
    short = UdpRepr.parse(UdpRepr(1, 2, b"abc", length=3).emit(SRC, DST))
    assert short.length == 3 and short.payload == b"abc"
    for bad in (100, 3):
        with pytest.raises(WireError, match="bad length"):
            UdpPacket.new_checked(UdpRepr(1, 2, b"abc", length=bad).emit(SRC, DST))
    with pytest.raises(WireError, match="truncated header"):
        UdpRepr.parse(bytes(7))


def test_udp_summary():
    assert UdpRepr(40000, 53, b"abc").summary() == "UDP 40000 > 53 len=3"


def test_icmp_echo_fields_and_checksum():
    request = Icmpv4Repr.echo_request(0x1234, 7, b"ping")
    wire = request.emit()
    assert wire[0] == ICMP_ECHO_REQUEST and wire[4:8] == bytes.fromhex("12340007")
    parsed = Icmpv4Repr.parse(wire)
    assert (parsed.ident, parsed.seq, parsed.payload) == (0x1234, 7, b"ping")
    assert parsed.checksum_ok() and Icmpv4Packet.new_checked(wire).checksum_ok()
    assert Icmpv4Repr.echo_reply(1, 2).type == ICMP_ECHO_REPLY
    with pytest.raises(WireError):
        Icmpv4Repr.echo_request(0x10000, 0)


def test_icmp_error_constructors():
    original = bytes(28)
    frag = Icmpv4Repr.dest_unreachable(ICMP_FRAG_NEEDED, original, mtu=1400)
    assert (frag.type, frag.code, frag.mtu, frag.payload) == (
        ICMP_DEST_UNREACH,
        ICMP_FRAG_NEEDED,
        1400,
        original,
    )
    assert Icmpv4Repr.dest_unreachable(ICMP_PORT_UNREACH, original).rest == 0
    assert Icmpv4Repr.time_exceeded(0, original).type == ICMP_TIME_EXCEEDED
    problem = Icmpv4Repr.param_problem(20, original)
    assert problem.type == ICMP_PARAM_PROBLEM and problem.pointer == 20
    assert problem.emit()[4:8] == b"\x14\x00\x00\x00"
    redirect = Icmpv4Repr.redirect(1, DST, original)
    assert redirect.type == ICMP_REDIRECT and redirect.gateway == DST


def test_icmp_bad_checksum_is_represented():
    wire = bytearray(Icmpv4Repr.echo_request(1, 1).emit())
    wire[2] ^= 0x80
    parsed = Icmpv4Repr.parse(bytes(wire))
    assert not parsed.checksum_ok()
    assert parsed.emit() == bytes(wire)


def test_icmp_summary():
    assert Icmpv4Repr.echo_request(1, 2, b"x").summary() == "ICMP echo request id=1 seq=2 len=1"


def test_udp_checksum_covers_the_datagram_as_its_length_delimits_it():
    # A length field shorter than the payload: the receiver checksums the first `length`
    # octets (RFC 768), so that is what emit covers; the trailing octets do not matter.
    trailing = UdpRepr(1, 2, b"abcTRAILING", length=11).emit(SRC, DST)
    assert trailing[:11] == UdpRepr(1, 2, b"abc").emit(SRC, DST)
    assert UdpRepr.parse(trailing[:11]).checksum_ok(SRC, DST)
