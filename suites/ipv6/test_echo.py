"""RFC 4443 4.2: every node answers an Echo Request with an Echo Reply carrying the request's
identifier, sequence number and data, entirely and unmodified; one sent to a multicast group is
answered from a unicast address (SHOULD); RFC 8200 3: a destination processes a packet whose
Hop Limit is 0."""

import pytest

from conformance.author.templates import Ether, ICMPv6, IPv6, Payload
from reference_stack.wire.icmpv6 import ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST

from .addresses import ALL_NODES, ALL_NODES_MAC

IDENT_SEQ = (0x4E43 << 16) | 0x0006
# (an Echo Request answered: a DUT set to ignore them, Linux net.ipv6.icmp.echo_ignore_all,
# skips these tests with that reason)
pytestmark = pytest.mark.needs(echo6_ignore_all=False)


@pytest.mark.requirement("RFC4443-4.2-MUST-echo-reply", "RFC4443-4.2-MUST-echo-data-returned",
                         "RFC2464-3-MUST-ethertype-ipv6", "RFC4291-2.8-MUST-recognize-addresses")
@pytest.mark.parametrize("size", [0, 56, 1232], ids=lambda n: f"{n}B")
def test_echo_reply_mirrors_id_sequence_and_data(ex, endpoints, size):
    data = bytes(i & 0xFF for i in range(size))
    ex.send(IPv6(), ICMPv6(type=ICMP6_ECHO_REQUEST, rest=IDENT_SEQ), Payload(data))
    ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6, next_header=58),
              ICMPv6(type=ICMP6_ECHO_REPLY, code=0, rest=IDENT_SEQ), Payload(data))


@pytest.mark.requirement("RFC4443-4.2-SHOULD-echo-multicast",
                         "RFC4291-2.8-MUST-recognize-addresses")
def test_echo_to_all_nodes_answered_from_a_unicast_address(ex, endpoints):
    ex.send(Ether(dst=ALL_NODES_MAC), IPv6(dst=ALL_NODES),
            ICMPv6(type=ICMP6_ECHO_REQUEST, rest=IDENT_SEQ), Payload(b"all nodes"))
    ex.expect(IPv6(src=endpoints.dut_ipv6, dst=endpoints.tester_ipv6),
              ICMPv6(type=ICMP6_ECHO_REPLY, rest=IDENT_SEQ), Payload(b"all nodes"))


@pytest.mark.requirement("RFC8200-3-SHOULD-process-hop-limit-zero", "RFC4443-4.2-MUST-echo-reply")
@pytest.mark.parametrize("hop_limit", [0, 1, 255])
def test_echo_with_any_hop_limit_is_answered(ex, endpoints, hop_limit):
    ex.send(IPv6(hop_limit=hop_limit), ICMPv6(type=ICMP6_ECHO_REQUEST, rest=IDENT_SEQ))
    ex.expect(IPv6(src=endpoints.dut_ipv6), ICMPv6(type=ICMP6_ECHO_REPLY, rest=IDENT_SEQ))
