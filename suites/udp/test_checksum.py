"""RFC 768 and RFC 1122 4.1.3.4: a zero checksum means "none transmitted" and the datagram is
accepted; a non-zero wrong checksum makes UDP silently discard the datagram (no delivery, and
no Port Unreachable either); a computed checksum of zero is transmitted as all ones."""

import pytest

from conformance.author.templates import UDP, ICMPv4, ICMPv6, Payload, normalize
from reference_stack.wire.udp import UdpRepr

from ..ipv4.udp_probe import PROBE_PORT as PORT
from ..ipv4.udp_probe import bound_socket


@pytest.mark.requirement("RFC768-MAY-zero-checksum",
                         "RFC1122-4.1.3.4-MUST-accept-zero-checksum")
def test_zero_checksum_is_accepted(ex, dut):
    fd = bound_socket(dut)
    ex.send(UDP(src_port=40000, dst_port=PORT, checksum=0), Payload(b"no checksum"))
    assert dut.recvfrom(fd, 100)[0] == b"no checksum"


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC1122-4.1.3.4-MUST-discard-bad-checksum")
@pytest.mark.parametrize("port", ["bound-port", "closed-port"])
def test_bad_checksum_is_silently_discarded(ex, dut, port, family):
    fd = bound_socket(dut, family=family)
    dst = PORT if port == "bound-port" else 9
    ex.send(family.ip(), UDP(src_port=40000, dst_port=dst, checksum=0x1234),
            Payload(b"bad checksum"))
    ex.expect_nothing(ICMPv4() if family.wire == "ipv4" else ICMPv6(type=1))
    value, err = dut.recvfrom_with_errno(fd, 100, 0)
    assert err != 0, f"delivered a datagram with a bad checksum: {value!r}"


def _payload_summing_to_zero(src: str, dst: str, src_port: int, dst_port: int) -> bytes:
    """A payload whose UDP checksum computes to 0 (so it must be sent as 0xFFFF)."""
    base = b"zero checksum!"  # even length: the 2 octets appended below are a 16-bit word
    partial = UdpRepr(src_port, dst_port, base + b"\0\0").emit(normalize("IP", "src", src),
                                                                normalize("IP", "dst", dst))
    complement = int.from_bytes(partial[6:8], "big")  # sum with the filler is ~complement
    return base + complement.to_bytes(2, "big")


@pytest.mark.families("ipv4", "ipv6")
@pytest.mark.requirement("RFC768-MUST-transmit-zero-checksum-as-ones")
def test_computed_zero_checksum_is_sent_as_all_ones(ex, dut, endpoints, family):
    fd = bound_socket(dut, family=family)
    src, dst = family.dut_ip(endpoints), family.tester_ip(endpoints)
    data = _payload_summing_to_zero(src, dst, PORT, 40000)
    dut.sendto(fd, data, (family.tester_host(endpoints), 40000))
    got = ex.expect(family.ip(src=src), UDP(src_port=PORT, dst_port=40000), Payload(data))
    assert got.udp.checksum == 0xFFFF, f"checksum {got.udp.checksum:#06x}"
