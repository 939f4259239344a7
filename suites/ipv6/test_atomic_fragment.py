"""RFC 6946 4: a packet with a Fragment header of offset 0 and M clear (an atomic fragment) is
processed in isolation from any other fragment: an echo request in one is answered (or where
the DUT ignores echo requests a datagram to a closed port: conformance/author/answered.py)."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.background import is_background
from conformance.author.family import IPV6
from conformance.author.templates import ICMPv6, IPv6, IPv6Ext, Payload
from reference_stack.wire.frame import dissect
from reference_stack.wire.icmpv6 import ICMP6_ECHO_REQUEST
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6
from reference_stack.wire.ipv6_ext import Ipv6Fragment


@pytest.mark.requirement("RFC6946-4-MUST-process-atomic-fragment", "RFC4443-4.2-MUST-echo-reply")
@pytest.mark.parametrize("ident", [0, 0x4E43, 0xFFFFFFFF])
def test_atomic_fragment_is_answered(ex, bed, endpoints, ident):
    probe = answered_probe(bed, 10, b"atomic", IPV6)
    ex.send(IPv6(), IPv6Ext(Ipv6Fragment(probe.protocol, 0, False, ident)), *probe.request)
    ex.expect(IPv6(src=endpoints.dut_ipv6), *probe.answer)


@pytest.mark.requirement("RFC6946-4-MUST-process-atomic-fragment")
def test_two_atomic_fragment_headers(ex, endpoints):
    # RFC 8200 4.1: a Fragment header SHOULD occur once; what a second one means is left
    # open: processed in turn (an echo reply), or refused (Linux ipv6_frag_rcv: a Parameter
    # Problem code 0 pointing at the second header, at 48). Found by the hypothesis engine
    # over IPv6; the lockstep oracle judges the answer with the target's profile.
    ex.send(IPv6(), IPv6Ext(Ipv6Fragment(44, 0, False, 1), Ipv6Fragment(IPPROTO_ICMPV6, 0,
                                                                        False, 2)),
            ICMPv6(type=ICMP6_ECHO_REQUEST, rest=12), Payload(b"twice"))
    answers = [f for f in ex.settle() if not is_background(f) and dissect(f).icmpv6 is not None]
    assert len(answers) == 1, [dissect(f).summary() for f in answers]
