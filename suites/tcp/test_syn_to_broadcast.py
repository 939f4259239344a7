"""RFC 1122 4.2.3.10 (and RFC 9293 3.10.7.2): a SYN addressed to a broadcast or multicast address
is silently discarded, even with a listener bound to the wildcard address."""

import ipaddress

import pytest

from conformance.templates import TCP, Ether, IPv4
from reference_stack.wire import tcp as tcpw

from .options import syn_options
from .states import LISTEN_PORT, listen


def _destinations(endpoints) -> dict[str, tuple[str, str]]:
    net = ipaddress.ip_interface(f"{endpoints.dut_ipv4}/{endpoints.ipv4_prefix_len}").network
    return {
        "limited-broadcast": ("255.255.255.255", "ff:ff:ff:ff:ff:ff"),
        "directed-broadcast": (str(net.broadcast_address), "ff:ff:ff:ff:ff:ff"),
        "all-hosts-multicast": ("224.0.0.1", "01:00:5e:00:00:01"),
    }


@pytest.mark.requirement("RFC1122-4.2.3.10-MUST-discard-syn-to-broadcast")
@pytest.mark.parametrize("destination", ["limited-broadcast", "directed-broadcast",
                                         "all-hosts-multicast"])
def test_syn_to_broadcast_or_multicast_is_dropped(ex, dut, endpoints, destination):
    listen(dut, endpoints, address="0.0.0.0")
    ip, mac = _destinations(endpoints)[destination]
    ex.send(Ether(dst=mac), IPv4(dst=ip),
            TCP(src_port=41999, dst_port=LISTEN_PORT, seq=1000, flags=tcpw.SYN,
                options=syn_options()))
    ex.expect_nothing(TCP(dst_port=41999))
