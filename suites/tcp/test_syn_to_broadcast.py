"""RFC 1122 4.2.3.10 (and RFC 9293 3.10.7.2): a SYN addressed to a broadcast or multicast address
is silently discarded, even with a listener bound to the wildcard address."""

import pytest

from conformance.author.templates import TCP, Ether, IPv4
from reference_stack.wire import tcp as tcpw

from ..ipv4.addresses import GROUP_DESTINATIONS, group_destinations
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
