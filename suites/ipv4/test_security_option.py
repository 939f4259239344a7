"""RFC 1122 3.2.1.8 and 3.2.2.5: a CIPSO security option (type 134, FIPS 188) naming a domain
of interpretation the host does not know. A host that does not process security options
ignores it as unknown (3.2.1.8: MUST ignore) and answers the echo; one that validates them
refuses it with a Parameter Problem pointing into the option (3.2.2.5), as Linux's
cipso_v4_validate does with no DOI configured (at the DOI, or at the length of an option
shorter than 8 octets), echoing the option into the error (ip_options_echo). Which of the two
the target does is its profile's (the lockstep oracle checks it)."""

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire import ipv4 as ipw
from reference_stack.wire.icmpv4 import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_PARAM_PROBLEM

ECHO = 0x00860001
CIPSO = 134


@pytest.mark.requirement("RFC1122-3.2.1.8-MUST-ignore-unknown-options",
                         "RFC1122-3.2.2.5-SHOULD-parameter-problem")
@pytest.mark.parametrize("length", [6, 10], ids=lambda n: f"length-{n}")
def test_cipso_option_is_ignored_or_refused(ex, endpoints, length):
    cipso = ipw.Ipv4OptUnknown(CIPSO, bytes([0, 0, 0, 9]) + bytes(length - 6))
    ex.send(IPv4(options=(cipso, ipw.Ipv4OptEol(b"\0\0"))),
            ICMPv4(type=ICMP_ECHO_REQUEST, rest=ECHO), Payload(b"labelled"))
    answer = ex.expect(IPv4(src=endpoints.dut_ipv4, dst=endpoints.tester_ipv4), ICMPv4())
    assert answer.icmpv4.type in (ICMP_ECHO_REPLY, ICMP_PARAM_PROBLEM), answer.summary()
    if answer.icmpv4.type == ICMP_PARAM_PROBLEM:
        assert 20 <= answer.icmpv4.rest >> 24 < 20 + length, answer.summary()
