"""RFC 1122 3.2.2.5 and RFC 792 (Parameter Problem): every option of a datagram is checked,
so a malformed option after a well-formed source route draws a Parameter Problem pointing at
the malformed option's octet, whatever the host then does with source routes (Linux:
ip_options_compile checks them all before ip_rcv_options applies accept_source_route). The
source route has no hop recorded, so the error goes to the source (RFC 1812 5.2.4.1); the
options the error echoes are the target profile's (the lockstep oracle checks them)."""

import pytest

from conformance.author.templates import UDP, ICMPv4, IPv4, Payload
from reference_stack.wire import ipv4 as ipw
from reference_stack.wire.addr import ip4
from reference_stack.wire.icmpv4 import ICMP_PARAM_PROBLEM

BAD_RR = b"\x07\x07\x03\x00\x00\x00\x00"  # Record Route with its pointer below 4


@pytest.mark.requirement("RFC1122-3.2.2.5-SHOULD-parameter-problem",
                         "RFC792-MUST-parameter-problem-pointer")
@pytest.mark.parametrize("record", [False, True], ids=["route-only", "with-timestamp"])
def test_malformed_option_after_a_source_route_gets_parameter_problem(ex, endpoints, record):
    hop = ip4(endpoints.spare_ipv4[0])
    options = [ipw.Ipv4OptLsrr(4, (hop,))]  # 7 octets, nothing recorded yet
    if record:
        options.append(ipw.Ipv4OptTimestamp(5, 0, 0, bytes(8)))  # 12 octets, to be stamped
    options.append(ipw.Ipv4OptMalformed(BAD_RR + b"\x00\x00"))
    pointer = 20 + 7 + (12 if record else 0) + 2
    ex.send(IPv4(options=tuple(options)), UDP(src_port=40000, dst_port=9),
            Payload(b"options first"))
    error = ex.expect(IPv4(src=endpoints.dut_ipv4, dst=endpoints.tester_ipv4),
                      ICMPv4(type=ICMP_PARAM_PROBLEM), immediate=True)
    assert error.icmpv4.rest >> 24 == pointer, f"pointer {error.icmpv4.rest >> 24}, want {pointer}"
