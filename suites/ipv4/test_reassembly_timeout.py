"""RFC 791 3.2, RFC 1122 3.3.2 and RFC 792 (Time Exceeded): when the reassembly timer expires the
partial datagram is discarded; a Time Exceeded code 1 is sent if fragment zero had arrived, and
nothing if it had not.

Waits: the DUT's reassembly timeout, lowered to 1 s for this test (Linux: ipfrag_time)."""

import pytest

from conformance.author.before_bed import before_bed
from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import (
    ICMP_ECHO_REPLY,
    ICMP_ECHO_REQUEST,
    ICMP_EXC_FRAGTIME,
    ICMP_TIME_EXCEEDED,
)

from ..icmp.errors import quoted
from .dut_sysctl import require_dut_sysctl, set_dut_sysctl
from .fragments import fragment

DATA = bytes(range(256)) * 3
PIECES = [(0, 264), (264, 528), (528, 784)]
TIMEOUT_S = 1
IPFRAG_TIME = ("net.ipv4.ipfrag_time", str(TIMEOUT_S))
# (each test shortens the timeout first: skipped before its bed where it cannot)
pytestmark = before_bed(require_dut_sysctl, *IPFRAG_TIME)


@pytest.fixture
def short_reassembly_timeout(bed):
    set_dut_sysctl(bed, *IPFRAG_TIME)


@pytest.mark.requirement(
    "RFC791-3.2-MUST-reassembly-timeout",
    "RFC1122-3.3.2-MUST-reassembly-timeout",
    "RFC1122-3.3.2-SHOULD-time-exceeded-reassembly",
    "RFC792-MUST-time-exceeded-reassembly-code-1",
)
def test_timeout_with_fragment_zero_sends_time_exceeded(ex, endpoints, short_reassembly_timeout):
    echo = (ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00440001), Payload(DATA))
    first, second, last = fragment(ex, echo, PIECES)
    ex.send_bytes(first)
    ex.send_bytes(second)
    error = ex.expect(IPv4(src=endpoints.dut_ipv4),
                      ICMPv4(type=ICMP_TIME_EXCEEDED, code=ICMP_EXC_FRAGTIME),
                      timeout=TIMEOUT_S + 2.0)
    assert error.icmpv4.payload[:28] == quoted(first, 8)
    ex.send_bytes(last)  # too late: the first two fragments are gone
    ex.expect_nothing(ICMPv4(type=ICMP_ECHO_REPLY))


@pytest.mark.requirement("RFC792-MAY-no-time-exceeded-without-fragment-zero",
                         "RFC1122-3.3.2-SHOULD-time-exceeded-reassembly")
def test_timeout_without_fragment_zero_is_silent(ex, short_reassembly_timeout):
    echo = (ICMPv4(type=ICMP_ECHO_REQUEST, rest=0x00450001), Payload(DATA))
    first, second, last = fragment(ex, echo, PIECES)
    ex.send_bytes(second)
    ex.send_bytes(last)
    # documented wait: past the reassembly timeout (a kernel timer of 1 s fires at most a
    # tick of timer-wheel level 1 late: 32 ms at HZ=250)
    ex.sleep(TIMEOUT_S + 0.3)
    ex.expect_nothing()
