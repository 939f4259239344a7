"""RFC 792 (introduction) and RFC 1122 3.2.2: an ICMP error is never sent about an ICMP error
message. A malformed IP option, which in an echo request elicits a Parameter Problem, elicits
nothing when it is carried by an ICMP error."""

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire import ipv4 as ipw
from reference_stack.wire.icmpv4 import (
    ICMP_DEST_UNREACH,
    ICMP_ECHO_REQUEST,
    ICMP_PARAM_PROBLEM,
    ICMP_TIME_EXCEEDED,
)

BAD_OPTION = (ipw.Ipv4OptMalformed(b"\x07\x01\x00\x00"),)
QUOTE = bytes.fromhex("4500001c00000000401100000a0000010a000002") + bytes(8)


@pytest.mark.requirement("RFC1122-3.2.2.5-SHOULD-parameter-problem")
def test_bad_option_in_echo_request_gets_parameter_problem(ex, endpoints):
    ex.send(IPv4(options=BAD_OPTION), ICMPv4(type=ICMP_ECHO_REQUEST, rest=1), Payload(b"x"))
    ex.expect(IPv4(src=endpoints.dut_ipv4), ICMPv4(type=ICMP_PARAM_PROBLEM),
              immediate=True)  # (an error answers the datagram at once)


@pytest.mark.requirement("RFC1122-3.2.2-MUST-NOT-error-about-icmp-error",
                         "RFC792-MUST-NOT-error-about-error")
@pytest.mark.parametrize("icmp_type", [ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_PARAM_PROBLEM],
                         ids=["dest-unreachable", "time-exceeded", "parameter-problem"])
def test_bad_option_in_icmp_error_gets_nothing(ex, endpoints, icmp_type):
    ex.send(IPv4(options=BAD_OPTION), ICMPv4(type=icmp_type, code=0), Payload(QUOTE))
    ex.expect_nothing(IPv4(src=endpoints.dut_ipv4))
