"""IPv4 header and options: what parse represents and what emit computes."""

from dataclasses import replace

import pytest

from reference_stack.wire.addr import ip4
from reference_stack.wire.errors import WireError
from reference_stack.wire.ipv4 import (
    IPPROTO_UDP,
    Ipv4OptEol,
    Ipv4OptLsrr,
    Ipv4OptMalformed,
    Ipv4OptNop,
    Ipv4OptRecordRoute,
    Ipv4OptRouterAlert,
    Ipv4OptSsrr,
    Ipv4OptTimestamp,
    Ipv4OptUnknown,
    Ipv4Packet,
    Ipv4Repr,
)

SRC = ip4("198.18.0.1")
DST = ip4("198.18.0.2")


def with_raw_options(options: bytes, payload: bytes) -> bytes:
    """A packet whose IHL covers ``options`` (a multiple of 4 octets) placed before payload."""
    return Ipv4Repr(SRC, DST, IPPROTO_UDP, options + payload, ihl=5 + len(options) // 4).emit()


def test_emit_computes_lengths_and_checksum():
    wire = Ipv4Repr(SRC, DST, IPPROTO_UDP, b"abcd", ttl=3, ident=0x1234, df=True).emit()
    assert wire[0] == 0x45
    assert int.from_bytes(wire[2:4], "big") == 24
    assert wire[4:6] == b"\x12\x34"
    assert wire[6] == 0x40 and wire[8] == 3 and wire[9] == IPPROTO_UDP
    assert wire[12:20] == SRC + DST
    assert Ipv4Packet.new_checked(wire).header_checksum_ok()


def test_flags_and_fragment_offset_bits():
    r = Ipv4Repr(SRC, DST, 1, flag_reserved=True, mf=True, frag_offset=0x1ABC)
    wire = r.emit()
    assert int.from_bytes(wire[6:8], "big") == 0x8000 | 0x2000 | 0x1ABC
    parsed = Ipv4Repr.parse(wire)
    assert (parsed.flag_reserved, parsed.df, parsed.mf, parsed.frag_offset) == (
        True,
        False,
        True,
        0x1ABC,
    )
    assert parsed.is_fragment


def test_link_padding_beyond_total_length_is_dropped():
    wire = Ipv4Repr(SRC, DST, IPPROTO_UDP, b"xy").emit()
    parsed = Ipv4Repr.parse(wire + bytes(24))
    assert parsed.payload == b"xy"
    assert parsed.emit() == wire


def test_total_length_beyond_buffer_keeps_all_bytes():
    r = Ipv4Repr(SRC, DST, IPPROTO_UDP, b"abcdef", total_length=1000)
    parsed = Ipv4Repr.parse(r.emit())
    assert parsed.total_length == 1000 and parsed.payload == b"abcdef"
    with pytest.raises(WireError, match="total length"):
        Ipv4Packet.new_checked(r.emit())


def test_total_length_below_header_keeps_all_bytes():
    parsed = Ipv4Repr.parse(Ipv4Repr(SRC, DST, IPPROTO_UDP, b"abc", total_length=7).emit())
    assert parsed.total_length == 7 and parsed.payload == b"abc"


def test_ihl_below_five_still_reads_fixed_header():
    parsed = Ipv4Repr.parse(Ipv4Repr(SRC, DST, IPPROTO_UDP, b"abc", ihl=2).emit())
    assert parsed.ihl == 2 and parsed.options == () and parsed.payload == b"abc"
    with pytest.raises(WireError, match="below minimum"):
        Ipv4Packet.new_checked(Ipv4Repr(SRC, DST, IPPROTO_UDP, ihl=2).emit())


def test_ihl_beyond_buffer_makes_everything_options():
    wire = Ipv4Repr(SRC, DST, IPPROTO_UDP, b"\x01\x01", ihl=15).emit()
    parsed = Ipv4Repr.parse(wire)
    assert parsed.options == (Ipv4OptNop(), Ipv4OptNop()) and parsed.payload == b""
    assert parsed.emit() == wire


def test_checksum_computed_over_header_as_ihl_delimits_it():
    # IHL 6 with no options: octets 20..23 of the "payload" are header for the checksum.
    r = Ipv4Repr(SRC, DST, IPPROTO_UDP, b"\x01\x01\x01\x00rest", ihl=6)
    wire = r.emit()
    assert Ipv4Repr.parse(wire).header_checksum_ok()
    assert Ipv4Repr.parse(wire).options == (Ipv4OptNop(), Ipv4OptNop(), Ipv4OptNop(), Ipv4OptEol())


def test_bad_checksum_is_represented_and_detected():
    wire = bytearray(Ipv4Repr(SRC, DST, IPPROTO_UDP).emit())
    wire[10] ^= 0xFF
    parsed = Ipv4Repr.parse(bytes(wire))
    assert not parsed.header_checksum_ok()
    assert parsed.emit() == bytes(wire)


def test_truncated_header_raises():
    with pytest.raises(WireError, match="truncated header"):
        Ipv4Repr.parse(bytes(19))


def test_options_are_padded_with_zeros_when_ihl_is_computed():
    wire = Ipv4Repr(SRC, DST, IPPROTO_UDP, options=(Ipv4OptRouterAlert(),)).emit()
    assert wire[0] & 0x0F == 6 and wire[20:24] == b"\x94\x04\x00\x00"
    wire = Ipv4Repr(SRC, DST, IPPROTO_UDP, options=(Ipv4OptNop(),)).emit()
    assert wire[0] & 0x0F == 6 and wire[20:24] == b"\x01\x00\x00\x00"


def test_options_longer_than_40_octets_cannot_be_emitted():
    with pytest.raises(WireError, match="options too long"):
        Ipv4Repr(SRC, DST, 0, options=(Ipv4OptNop(),) * 41).emit()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\x07\x0b\x04" + bytes(9), (Ipv4OptRecordRoute(4, (bytes(4), bytes(4))), Ipv4OptEol())),
        (b"\x83\x07\x04\xc6\x12\x00\x09\x00", (Ipv4OptLsrr(4, (SRC[:3] + b"\x09",)), Ipv4OptEol())),
        (b"\x89\x03\x04\x01", (Ipv4OptSsrr(4, ()), Ipv4OptNop())),
        (b"\x44\x0c\x05\x31" + bytes(8), (Ipv4OptTimestamp(5, 3, 1, bytes(8)),)),
        (b"\x94\x04\x00\x01", (Ipv4OptRouterAlert(1),)),
        (b"\x82\x04\xab\xcd", (Ipv4OptUnknown(0x82, b"\xab\xcd"),)),
        # A route body that is not whole addresses; a router alert of the wrong size.
        (
            b"\x07\x05\x04\x00\x00\x01\x01\x01",
            (Ipv4OptUnknown(7, b"\x04\x00\x00"),) + (Ipv4OptNop(),) * 3,
        ),
        (b"\x94\x03\x00\x00", (Ipv4OptUnknown(0x94, b"\x00"), Ipv4OptEol())),
        (b"\x01\x00\xaa\xbb", (Ipv4OptNop(), Ipv4OptEol(b"\xaa\xbb"))),
        # Framing errors: length below 2, length past the area, a lone kind octet.
        (b"\x01\x07\x01\x00", (Ipv4OptNop(), Ipv4OptMalformed(b"\x07\x01\x00"))),
        (b"\x07\x09\x04\x00", (Ipv4OptMalformed(b"\x07\x09\x04\x00"),)),
        (b"\x01\x01\x01\x44", (Ipv4OptNop(),) * 3 + (Ipv4OptMalformed(b"\x44"),)),
    ],
)
def test_option_kinds(raw, expected):
    wire = with_raw_options(raw, b"data")
    parsed = Ipv4Repr.parse(wire)
    assert parsed.options == expected
    assert parsed.payload == b"data"
    assert parsed.header_checksum_ok()
    assert parsed.emit() == wire


def test_timestamp_views():
    flag0 = Ipv4OptTimestamp(5, 0, 0, (1).to_bytes(4, "big") + (2).to_bytes(4, "big"))
    assert flag0.timestamps == (1, 2)
    flag1 = Ipv4OptTimestamp(5, 0, 1, SRC + (7).to_bytes(4, "big"))
    assert flag1.entries == ((SRC, 7),)


def test_summary_names_addresses_and_flags():
    text = Ipv4Repr(SRC, DST, 6, df=True, ident=9).summary()
    assert "198.18.0.1 > 198.18.0.2" in text and "DF" in text and "id 9" in text


def test_emit_with_payload_override_equals_emit_of_that_repr():
    template = Ipv4Repr(SRC, DST, IPPROTO_UDP, b"old", options=(Ipv4OptRouterAlert(),))
    assert template.emit(b"new payload") == replace(template, payload=b"new payload").emit()
