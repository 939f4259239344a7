"""RFC 1071 checksum and address conversion."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_stack.wire.addr import ip4, ip4_str, mac, mac_str
from reference_stack.wire.checksum import internet_checksum, pseudo_header_sum, word_sum
from reference_stack.wire.errors import WireError


def word_loop_checksum(data: bytes, initial: int = 0) -> int:
    """The RFC 1071 4.1 reference algorithm: add 16-bit words, fold carries, complement."""
    if len(data) % 2:
        data += b"\x00"
    total = initial
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def test_rfc1071_numerical_example():
    # RFC 1071 3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
    assert internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0xFFFF - 0xDDF2


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 0x3FFFF))
def test_agrees_with_word_loop(data, initial):
    assert internet_checksum(data, initial) == word_loop_checksum(data, initial)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=600, max_size=9100), st.integers(0, 0x3FFFF))
def test_long_buffers_agree_with_word_loop(data, initial):
    # (word_sum makes a buffer over 640 octets a short integer before its modulo)
    assert internet_checksum(data, initial) == word_loop_checksum(data, initial)


@pytest.mark.parametrize("size", [639, 640, 641, 642, 1480, 1481, 3000, 9000, 65535])
def test_long_all_zero_and_all_ones(size):
    assert word_sum(bytes(size)) == 0  # zero only when every octet is zero (verify relies on it)
    for data in (bytes(size), b"\xff" * size, b"\x80" + bytes(size - 1), bytes(size - 1) + b"\x01"):
        assert internet_checksum(data) == word_loop_checksum(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=2, max_size=200).map(lambda b: b[: len(b) // 2 * 2]))
def test_inserting_the_checksum_makes_the_sum_verify(data):
    value = internet_checksum(data)
    assert internet_checksum(data + value.to_bytes(2, "big")) == 0


def test_all_zero_and_all_ones():
    assert internet_checksum(bytes(20)) == 0xFFFF
    assert internet_checksum(b"\xff" * 20) == 0
    assert internet_checksum(b"") == 0xFFFF


def test_odd_length_is_padded_with_zero():
    assert internet_checksum(b"\x12\x34\x56") == internet_checksum(b"\x12\x34\x56\x00")


def test_pseudo_header_sum_words():
    src, dst = bytes.fromhex("c6120001"), bytes.fromhex("c6120002")
    expected = 0xC612 + 0x0001 + 0xC612 + 0x0002 + 6 + 40
    assert pseudo_header_sum(src, dst, 6, 40) == expected


def test_address_conversions():
    assert mac("02:00:00:00:0a:FF") == bytes((2, 0, 0, 0, 10, 255))
    assert mac("02-00-00-00-00-01") == bytes((2, 0, 0, 0, 0, 1))
    assert mac_str(bytes((2, 0, 0, 0, 10, 255))) == "02:00:00:00:0a:ff"
    assert ip4("198.18.0.1") == bytes((198, 18, 0, 1))
    assert ip4_str(bytes((198, 18, 255, 0))) == "198.18.255.0"


@pytest.mark.parametrize(
    "text", ["02:00:00:00:00", "02:00:00:00:00:01:02", "0g:00:00:00:00:01", "020:0:0:0:0:1", ""]
)
def test_bad_mac_raises_wire_error(text):
    with pytest.raises(WireError):
        mac(text)


@pytest.mark.parametrize(
    "text", ["198.18.0", "198.18.0.256", "198.18.0.01", "198.18.0.-1", "a.b.c.d", "1.2.3.4.5"]
)
def test_bad_ip4_raises_wire_error(text):
    with pytest.raises(WireError):
        ip4(text)
