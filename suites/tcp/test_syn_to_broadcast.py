"""RFC 1122 4.2.3.10 (and RFC 9293 3.10.7.2): a SYN addressed to a broadcast or multicast address
is silently discarded, even with a listener bound to the wildcard address. Broadcast is
IPv4's (RFC 4291 2: IPv6 has none); over IPv6 the SYN goes to the groups the DUT belongs to,
all-nodes and its solicited-node group (RFC 4291 2.7.1, 2.8)."""

import pytest

from conformance.author.templates import TCP, Ether, IPv4, IPv6
from reference_stack.wire import tcp as tcpw

from ..ipv4.addresses import GROUP_DESTINATIONS, group_destinations
from ..ipv6.addresses import ALL_NODES, ALL_NODES_MAC, solicited
from .options import syn_options
from .states import LISTEN_PORT, listen


@pytest.mark.requirement("RFC1122-4.2.3.10-MUST-discard-broadcast")
@pytest.mark.parametrize("destination", GROUP_DESTINATIONS)
def test_syn_to_broadcast_or_multicast_is_dropped(ex, dut, endpoints, destination):
    listen(dut, endpoints, address="0.0.0.0")
    ip, mac = group_destinations(endpoints)[destination]
    ex.send(Ether(dst=mac), IPv4(dst=ip),
            TCP(src_port=41999, dst_port=LISTEN_PORT, seq=1000, flags=tcpw.SYN,
                options=syn_options()))
    ex.expect_nothing(TCP(dst_port=41999))


def _groups6(endpoints) -> dict[str, tuple[str, str]]:
    return {"all-nodes": (ALL_NODES, ALL_NODES_MAC), "solicited-node": solicited(endpoints)}


@pytest.mark.requirement("RFC1122-4.2.3.10-MUST-discard-broadcast")
@pytest.mark.families("ipv6")
@pytest.mark.parametrize("destination", ["all-nodes", "solicited-node"])
def test_syn_to_ipv6_multicast_is_dropped(ex, dut, endpoints, destination):
    listen(dut, endpoints, address="::", family=ex.family)
    ip, mac = _groups6(endpoints)[destination]
    ex.send(Ether(dst=mac), IPv6(dst=ip),
            TCP(src_port=41999, dst_port=LISTEN_PORT, seq=1000, flags=tcpw.SYN,
                options=syn_options()))
    ex.expect_nothing(TCP(dst_port=41999))
