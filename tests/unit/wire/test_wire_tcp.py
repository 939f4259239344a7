"""TCP header, options and flag helpers."""

import pytest

from reference_stack.wire.addr import ip4
from reference_stack.wire.errors import WireError
from reference_stack.wire.tcp import (
    ACK,
    CWR,
    ECE,
    FIN,
    PSH,
    RST,
    SYN,
    URG,
    TcpOptEol,
    TcpOptMalformed,
    TcpOptMss,
    TcpOptNop,
    TcpOptSack,
    TcpOptSackPermitted,
    TcpOptTimestamps,
    TcpOptUnknown,
    TcpOptWindowScale,
    TcpPacket,
    TcpRepr,
    flags_str,
    parse_flags,
)

SRC = ip4("198.18.0.1")
DST = ip4("198.18.0.2")


@pytest.mark.parametrize(
    ("flags", "text"),
    [
        (SYN, "S"),
        (SYN | ACK, "S."),
        (RST | ACK, "R."),
        (FIN | ACK, "F."),
        (PSH | ACK, "P."),
        (ACK, "."),
        (URG, "U"),
        (SYN | ECE | CWR, "SEW"),
        (SYN | FIN, "FS"),
        (0, "none"),
    ],
)
def test_flags_str_uses_tcpdump_letters(flags, text):
    assert flags_str(flags) == text


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("SA", SYN | ACK),
        ("S.", SYN | ACK),
        ("fpu", FIN | PSH | URG),
        ("RA", RST | ACK),
        ("EC", ECE | CWR),
        ("W", CWR),
        ("", 0),
        ("none", 0),
    ],
)
def test_parse_flags(text, flags):
    assert parse_flags(text) == flags


def test_parse_flags_roundtrips_every_combination():
    for flags in range(256):
        assert parse_flags(flags_str(flags)) == flags


def test_parse_flags_rejects_unknown_letters():
    with pytest.raises(ValueError):
        parse_flags("SX")


def test_summary_is_tcpdump_like():
    r = TcpRepr(40000, 80, seq=1, ack=2, flags=SYN | ACK, window=64240)
    assert r.summary() == "TCP 40000 > 80 [S.] seq=1 ack=2 win=64240 len=0"


def test_emit_layout_and_checksum():
    r = TcpRepr(40000, 80, 0x01020304, 0x0A0B0C0D, SYN | ACK, 512, b"hi", urgent=7, reserved=1)
    wire = r.emit(SRC, DST)
    assert wire[:4] == (40000).to_bytes(2, "big") + (80).to_bytes(2, "big")
    assert wire[4:12] == bytes.fromhex("010203040a0b0c0d")
    assert wire[12] == 0x51 and wire[13] == SYN | ACK
    assert wire[14:16] == (512).to_bytes(2, "big") and wire[18:20] == b"\x00\x07"
    assert wire[20:] == b"hi"
    assert TcpPacket.new_checked(wire).checksum_ok(SRC, DST)
    assert not TcpPacket.new_checked(wire).checksum_ok(SRC, ip4("198.18.0.3"))


def test_syn_fin_and_bad_checksum_are_represented():
    wire = bytearray(TcpRepr(1, 2, flags=SYN | FIN).emit(SRC, DST))
    wire[17] ^= 1
    parsed = TcpRepr.parse(bytes(wire))
    assert parsed.flags == SYN | FIN
    assert not parsed.checksum_ok(SRC, DST)
    assert parsed.emit(SRC, DST) == bytes(wire)


def test_option_helpers():
    r = TcpRepr(
        1,
        2,
        options=(
            TcpOptMss(1460),
            TcpOptSackPermitted(),
            TcpOptTimestamps(5, 6),
            TcpOptNop(),
            TcpOptWindowScale(7),
            TcpOptSack(((10, 20), (30, 40))),
        ),
    )
    parsed = TcpRepr.parse(r.emit(SRC, DST))
    assert parsed.mss == 1460
    assert parsed.window_scale == 7
    assert parsed.sack_permitted
    assert parsed.timestamps == (5, 6)
    assert parsed.sack_blocks == ((10, 20), (30, 40))
    bare = TcpRepr(1, 2)
    assert (bare.mss, bare.window_scale, bare.timestamps) == (None, None, None)
    assert not bare.sack_permitted and bare.sack_blocks == ()


def test_options_padded_with_zeros_when_data_offset_is_computed():
    wire = TcpRepr(1, 2, options=(TcpOptWindowScale(7),)).emit(SRC, DST)
    assert wire[12] >> 4 == 6 and wire[20:24] == b"\x03\x03\x07\x00"
    assert TcpRepr.parse(wire).options == (TcpOptWindowScale(7), TcpOptEol())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\x02\x04\x05\xb4", (TcpOptMss(1460),)),
        (b"\x08\x0a" + bytes(8) + b"\x01\x01", (TcpOptTimestamps(0, 0), TcpOptNop(), TcpOptNop())),
        # Known kinds with the wrong length are kept and the walk goes on (Linux skips them).
        (b"\x02\x03\x05\x01", (TcpOptUnknown(2, b"\x05"), TcpOptNop())),
        (b"\x05\x02\x04\x02", (TcpOptUnknown(5, b""), TcpOptSackPermitted())),
        (
            b"\x05\x06" + bytes(4) + b"\x01\x01",
            (TcpOptUnknown(5, bytes(4)), TcpOptNop(), TcpOptNop()),
        ),
        (b"\xfe\x04\xab\xcd", (TcpOptUnknown(0xFE, b"\xab\xcd"),)),
        (b"\x00\x02\x04\x05", (TcpOptEol(b"\x02\x04\x05"),)),
        # Framing errors stop the walk with the raw remainder.
        (b"\x01\x02\x01\x00", (TcpOptNop(), TcpOptMalformed(b"\x02\x01\x00"))),
        (b"\x02\x08\x05\xb4", (TcpOptMalformed(b"\x02\x08\x05\xb4"),)),
        (b"\x01\x01\x01\x02", (TcpOptNop(),) * 3 + (TcpOptMalformed(b"\x02"),)),
    ],
)
def test_option_kinds(raw, expected):
    wire = TcpRepr(1, 2, payload=raw + b"data", data_offset=5 + len(raw) // 4).emit(SRC, DST)
    parsed = TcpRepr.parse(wire)
    assert parsed.options == expected
    assert parsed.payload == b"data"
    assert parsed.checksum_ok(SRC, DST)
    assert parsed.emit(SRC, DST) == wire


def test_bogus_data_offsets_are_represented():
    low = TcpRepr.parse(TcpRepr(1, 2, payload=b"abc", data_offset=3).emit(SRC, DST))
    assert low.data_offset == 3 and low.options == () and low.payload == b"abc"
    high = TcpRepr.parse(TcpRepr(1, 2, payload=b"\x01\x01", data_offset=15).emit(SRC, DST))
    assert high.options == (TcpOptNop(), TcpOptNop()) and high.payload == b""
    with pytest.raises(WireError, match="below minimum"):
        TcpPacket.new_checked(TcpRepr(1, 2, data_offset=3).emit(SRC, DST))
    with pytest.raises(WireError, match="truncated options"):
        TcpPacket.new_checked(TcpRepr(1, 2, data_offset=15).emit(SRC, DST))


def test_truncated_header_raises():
    with pytest.raises(WireError, match="truncated header"):
        TcpRepr.parse(bytes(19))


def test_out_of_range_fields_raise_wire_error_on_emit():
    with pytest.raises(WireError):
        TcpRepr(70000, 80).emit(SRC, DST)
    with pytest.raises(WireError):
        TcpRepr(1, 2, options=(TcpOptMss(70000),)).emit(SRC, DST)
    with pytest.raises(WireError, match="options too long"):
        TcpRepr(1, 2, options=(TcpOptNop(),) * 41).emit(SRC, DST)


def test_segment_len_counts_syn_and_fin():
    assert TcpRepr(1, 2, flags=SYN | FIN, payload=b"abc").segment_len == 5
