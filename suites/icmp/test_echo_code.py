"""RFC 792 (Echo or Echo Reply Message) and RFC 1122 3.2.2.6: an echo request is answered with
its identifier, sequence number and data whatever its code (RFC 792 defines code 0 only). The
reply's code is the target profile's choice, which the lockstep oracle checks: 0 as RFC 792
writes, or the request's, as Linux's icmp_echo copies the request's header."""

import pytest

from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire.icmpv4 import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST


@pytest.mark.requirement("RFC1122-3.2.2.6-MUST-echo-reply",
                         "RFC792-MUST-return-identifier-and-sequence")
@pytest.mark.parametrize("code", [1, 255], ids=lambda c: f"code-{c}")
@pytest.mark.needs(echo_ignore_all=False)  # (an echo request answered: RFC 1122 3.2.2.6)
def test_echo_request_of_nonzero_code_is_answered(ex, endpoints, code):
    ident_seq = (0x4E43 << 16) | code
    ex.send(ICMPv4(type=ICMP_ECHO_REQUEST, code=code, rest=ident_seq), Payload(b"any code"))
    ex.expect(IPv4(src=endpoints.dut_ipv4, dst=endpoints.tester_ipv4),
              ICMPv4(type=ICMP_ECHO_REPLY, rest=ident_seq), Payload(b"any code"))
