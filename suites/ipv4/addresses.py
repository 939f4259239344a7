"""Address classes of RFC 1122 3.2.1.3 on the test link: broadcast and multicast destinations
(with the link-layer address a sender uses for each) and the subnet's directed broadcast."""

from __future__ import annotations

import ipaddress
from typing import Any

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
ALL_HOSTS = ("224.0.0.1", "01:00:5e:00:00:01")


def directed_broadcast(endpoints: Any) -> str:
    """{<Network-number>, -1} of the DUT's subnet."""
    net = ipaddress.ip_interface(f"{endpoints.dut_ipv4}/{endpoints.ipv4_prefix_len}").network
    return str(net.broadcast_address)


def group_destinations(endpoints: Any) -> dict[str, tuple[str, str]]:
    """Broadcast and multicast destinations the DUT belongs to: name -> (IPv4, MAC)."""
    return {
        "limited-broadcast": ("255.255.255.255", BROADCAST_MAC),
        "directed-broadcast": (directed_broadcast(endpoints), BROADCAST_MAC),
        "all-hosts-multicast": ALL_HOSTS,
    }


GROUP_DESTINATIONS = ("limited-broadcast", "directed-broadcast", "all-hosts-multicast")
