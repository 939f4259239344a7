"""RFC 791 3.1 and RFC 1122 3.2.1.8, 3.2.2.5, 3.2.2.6: options are accepted in any datagram and
unknown ones ignored; Record Route and Timestamp options of an echo request are returned in the
reply; a completed source route is accepted and reversed; a malformed option elicits a
Parameter Problem pointing at it."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.templates import ICMPv4, IPv4, Payload
from reference_stack.wire import ipv4 as ipw
from reference_stack.wire.addr import ip4
from reference_stack.wire.icmpv4 import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_PARAM_PROBLEM

ECHO = 0x00460001
ACCEPTED = {
    "nop-eol": ((ipw.Ipv4OptNop(), ipw.Ipv4OptNop(), ipw.Ipv4OptEol(b"\0\0")),
                "RFC791-3.1-MUST-ignore-nop-and-eol"),
    "unknown-option": ((ipw.Ipv4OptUnknown(30, b"\x4e\x43"), ipw.Ipv4OptEol(b"")),
                       "RFC1122-3.2.1.8-MUST-ignore-unknown-options"),
    "router-alert": ((ipw.Ipv4OptRouterAlert(0),), "RFC791-3.1-MUST-options-any-datagram"),
}


def _echo(ex, endpoints, options, data=b"with options"):
    ex.send(IPv4(options=options), ICMPv4(type=ICMP_ECHO_REQUEST, rest=ECHO), Payload(data))
    return ex.expect(IPv4(src=endpoints.dut_ipv4), ICMPv4(type=ICMP_ECHO_REPLY, rest=ECHO),
                     Payload(data), timeout=1.0, immediate=True)


@pytest.mark.parametrize(
    "options",
    [pytest.param(k, marks=pytest.mark.requirement(v, "RFC1122-3.2.2.6-MUST-echo-reply",
                                                   "RFC1122-3.2.1.8-MUST-pass-options"), id=k)
     for k, (_, v) in ACCEPTED.items()],
)
def test_echo_with_options_is_answered(ex, endpoints, bed, options):
    # (a UDP datagram to a closed port, answered by a Port Unreachable, where the DUT ignores
    # echo requests: conformance/author/answered.py)
    probe = answered_probe(bed, ECHO, b"with options")
    ex.send(IPv4(options=ACCEPTED[options][0]), *probe.request)
    ex.expect(IPv4(src=endpoints.dut_ipv4), *probe.answer, timeout=1.0, immediate=True)


@pytest.mark.requirement(
    "RFC1122-3.2.2.6-SHOULD-echo-record-route",
    "RFC791-3.1-MUST-options-any-datagram",
)
@pytest.mark.needs(echo_ignore_all=False)  # (the options come back in the echo reply)
def test_record_route_is_returned_with_this_host(ex, endpoints):
    rr = ipw.Ipv4OptRecordRoute(4, (b"\0" * 4,) * 3)
    reply = _echo(ex, endpoints, (rr, ipw.Ipv4OptEol(b"")))
    got = [o for o in reply.ipv4.options if isinstance(o, ipw.Ipv4OptRecordRoute)]
    assert got, f"no Record Route in the reply: {reply.ipv4.summary()}"
    assert got[0].pointer > 4 and ip4(endpoints.dut_ipv4) in got[0].addresses, reply.ipv4.summary()


@pytest.mark.requirement("RFC1122-3.2.2.6-SHOULD-echo-record-route")
@pytest.mark.needs(echo_ignore_all=False)  # (the options come back in the echo reply)
def test_timestamp_option_is_returned_with_a_timestamp(ex, endpoints):
    ts = ipw.Ipv4OptTimestamp(5, 0, 0, b"\0" * 8)
    reply = _echo(ex, endpoints, (ts,))
    got = [o for o in reply.ipv4.options if isinstance(o, ipw.Ipv4OptTimestamp)]
    assert got and got[0].pointer > 5, f"no timestamp recorded: {reply.ipv4.summary()}"


@pytest.mark.requirement("RFC1122-3.2.1.8-MUST-source-route-final-destination",
                         "RFC1122-3.2.2.6-MUST-echo-source-route-reversed")
def test_completed_loose_source_route_is_accepted(ex, endpoints):
    hop = ip4(endpoints.spare_ipv4[0])
    lsrr = ipw.Ipv4OptLsrr(8, (hop,))  # pointer past the only hop: the route is complete
    _echo(ex, endpoints, (lsrr, ipw.Ipv4OptEol(b"")))


MALFORMED = {
    "length-one": (b"\x07\x01\x00\x00", 20),
    "length-past-header": (b"\x07\x0b\x04\x00", 20),
    "rr-pointer-below-4": (b"\x07\x07\x02\x00\x00\x00\x00\x00", 22),
}


@pytest.mark.requirement(
    "RFC1122-3.2.2.5-SHOULD-parameter-problem",
    "RFC792-MUST-parameter-problem-pointer",
)
@pytest.mark.parametrize("option", MALFORMED)
def test_malformed_option_gets_parameter_problem(ex, endpoints, option):
    raw, pointer = MALFORMED[option]
    ex.send(IPv4(options=(ipw.Ipv4OptMalformed(raw),)), ICMPv4(type=ICMP_ECHO_REQUEST, rest=ECHO),
            Payload(b"bad option"))
    error = ex.expect(IPv4(src=endpoints.dut_ipv4), ICMPv4(type=ICMP_PARAM_PROBLEM),
                      immediate=True)  # (an error answers the datagram at once)
    assert error.icmpv4.rest >> 24 == pointer, f"pointer {error.icmpv4.rest >> 24}, want {pointer}"
    ex.expect_nothing(ICMPv4(type=ICMP_ECHO_REPLY))
