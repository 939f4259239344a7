"""RFC 8200 4.5: fragments are reassembled into the original packet whatever their order; a
fragment with M set whose length is not a multiple of 8 gets a Parameter Problem code 0 at the
Payload Length, one that would make the payload exceed 65,535 octets a Parameter Problem at
its Fragment Offset; an exact duplicate may be dropped alone. RFC 5722: an overlap discards the
whole packet. RFC 7112: a first fragment without the whole header chain gets a Parameter
Problem code 3. The reassembly timer (here shortened to 1 s with ip6frag_time) ends in a Time
Exceeded code 1 only if the first fragment arrived. The fragments carry a packet the DUT
answers once it has it whole: an echo request, or where the DUT ignores echo requests a
datagram to a closed port (conformance/author/answered.py)."""

import pytest

from conformance.author.answered import Probe, answered_probe
from conformance.author.before_bed import before_bed
from conformance.author.family import IPV6
from conformance.author.templates import ICMPv6, IPv6, Payload
from reference_stack.wire.icmpv6 import (
    ICMP6_PARAM_PROB,
    ICMP6_TIME_EXCEEDED,
    PARAM_FIRST_FRAGMENT_CHAIN,
    PARAM_HEADER_FIELD,
    TIME_EXCEEDED_REASSEMBLY,
)
from reference_stack.wire.ipv6 import HEADER_LEN, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT
from reference_stack.wire.ipv6_ext import Ipv6Fragment, Ipv6OptionsHeader

from ..ipv4.dut_sysctl import require_dut_sysctl, set_dut_sysctl

DATA = bytes(i & 0xFF for i in range(200))
IDENT_SEQ = 0x4E430009
ETH_IPV6 = 14 + HEADER_LEN
IP6FRAG_TIME = ("net.ipv6.ip6frag_time", "1")  # the timeout tests' reassembly timer


def _message(ex, bed) -> tuple[Probe, bytes]:
    """The packet the fragments carry, one the DUT answers once reassembled (an echo request,
    or a datagram to a closed port where the DUT ignores echo requests: its checksum covers
    the whole, conformance/author/answered.py), and its octets after the IPv6 header."""
    probe = answered_probe(bed, IDENT_SEQ, DATA, IPV6)
    return probe, ex.build(IPv6(), *probe.request)[ETH_IPV6:]


def _send_fragment(ex, probe: Probe, data: bytes, start: int, more: bool, ident: int = 0x4E43,
                   next_header: int | None = None) -> bytes:
    header = Ipv6Fragment(next_header or probe.protocol, start // 8, more, ident).emit()
    return ex.send(IPv6(next_header=IPPROTO_FRAGMENT), Payload(header + data))


def _expect_answer(ex, endpoints, probe: Probe):
    ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6), *probe.answer)


@pytest.mark.requirement("RFC8200-4.5-MUST-reassemble", "RFC4443-4.2-MUST-echo-reply")
@pytest.mark.parametrize("order", ["in-order", "reversed"])
@pytest.mark.parametrize("size", [8, 56, 104])
def test_fragmented_echo_is_reassembled(ex, bed, endpoints, order, size):
    probe, message = _message(ex, bed)
    pieces = [(at, message[at:at + size]) for at in range(0, len(message), size)]
    if order == "reversed":
        pieces.reverse()
    for at, piece in pieces:
        _send_fragment(ex, probe, piece, at, at + size < len(message))
    _expect_answer(ex, endpoints, probe)


@pytest.mark.requirement("RFC8200-4.5-MAY-drop-exact-duplicate", "RFC8200-4.5-MUST-reassemble")
def test_exact_duplicate_fragment_is_harmless(ex, bed, endpoints):
    probe, message = _message(ex, bed)
    _send_fragment(ex, probe, message[:64], 0, True)
    _send_fragment(ex, probe, message[:64], 0, True)
    _send_fragment(ex, probe, message[64:], 64, False)
    _expect_answer(ex, endpoints, probe)


@pytest.mark.requirement("RFC5722-4-MUST-overlap-discard")
@pytest.mark.parametrize("overlap_at", [0, 32, 56])
def test_overlapping_fragment_discards_the_packet(ex, bed, endpoints, overlap_at):
    probe, message = _message(ex, bed)
    _send_fragment(ex, probe, message[:64], 0, True)
    _send_fragment(ex, probe, message[overlap_at + 8:overlap_at + 72], overlap_at + 8, True)
    _send_fragment(ex, probe, message[64:], 64, False)
    ex.expect_nothing()


@pytest.mark.requirement("RFC8200-4.5-SHOULD-fragment-multiple-of-8")
@pytest.mark.parametrize("length", [9, 60, 100])
def test_fragment_not_multiple_of_8_gets_parameter_problem(ex, bed, endpoints, length):
    probe, message = _message(ex, bed)
    _send_fragment(ex, probe, message[:length], 0, True)
    ex.expect(IPv6(src=endpoints.dut_ipv6),
              ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_HEADER_FIELD, rest=4))


@pytest.mark.requirement("RFC8200-4.5-SHOULD-fragment-too-long")
def test_fragment_past_65535_gets_parameter_problem(ex, bed, endpoints):
    probe, _ = _message(ex, bed)
    _send_fragment(ex, probe, bytes(16), 65528, False)
    ex.expect(IPv6(src=endpoints.dut_ipv6),
              ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_HEADER_FIELD, rest=42))


@pytest.mark.requirement("RFC7112-5-SHOULD-incomplete-chain")
def test_first_fragment_without_upper_header_gets_parameter_problem(ex, bed, endpoints):
    probe, _ = _message(ex, bed)
    options = Ipv6OptionsHeader(IPPROTO_DSTOPTS, probe.protocol).emit()
    _send_fragment(ex, probe, options, 0, True, next_header=IPPROTO_DSTOPTS)
    ex.expect(IPv6(src=endpoints.dut_ipv6),
              ICMPv6(type=ICMP6_PARAM_PROB, code=PARAM_FIRST_FRAGMENT_CHAIN, rest=0),
              immediate=True)


@pytest.mark.requirement("RFC8200-4.5-SHOULD-time-exceeded-reassembly",
                         "RFC8200-4.5-MUST-reassembly-timeout")
@before_bed(require_dut_sysctl, *IP6FRAG_TIME)
def test_timeout_with_first_fragment_gets_time_exceeded(ex, bed, endpoints):
    set_dut_sysctl(bed, *IP6FRAG_TIME)
    probe, message = _message(ex, bed)
    first = _send_fragment(ex, probe, message[:64], 0, True)
    error = ex.expect(IPv6(src=endpoints.dut_ipv6),
                      ICMPv6(type=ICMP6_TIME_EXCEEDED, code=TIME_EXCEEDED_REASSEMBLY),
                      timeout=4.0)
    assert error.icmpv6.payload == first[14:]


@pytest.mark.requirement("RFC8200-4.5-MUST-reassembly-timeout")
@before_bed(require_dut_sysctl, *IP6FRAG_TIME)
def test_timeout_without_first_fragment_gets_nothing(ex, bed, endpoints):
    set_dut_sysctl(bed, *IP6FRAG_TIME)
    probe, message = _message(ex, bed)
    _send_fragment(ex, probe, message[64:], 64, False)
    ex.sleep(1.3)  # the reassembly timer (1 s, a kernel timer: late by 32 ms at most) runs out
    ex.expect_nothing()
