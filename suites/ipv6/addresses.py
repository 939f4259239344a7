"""IPv6 addresses of the test link (RFC 4291): spare on-link sources, the groups the DUT
belongs to (all-nodes, its solicited-node group) with the MAC each maps to (RFC 2464 7)."""

from __future__ import annotations

import ipaddress
from typing import Any

from reference_stack.wire.addr import ip6, ip6_str, mac_str
from reference_stack.wire.ipv6 import multicast_mac, solicited_node

ALL_NODES = "ff02::1"
ALL_NODES_MAC = "33:33:00:00:00:01"


def spare(endpoints: Any, host: int) -> str:
    """Another address of the DUT's /64 for the tester to use as a source (host >= 3)."""
    net = ipaddress.ip_interface(f"{endpoints.dut_ipv6}/64").network
    return str(net.network_address + host)


def solicited(endpoints: Any) -> tuple[str, str]:
    """The DUT's solicited-node group (RFC 4291 2.7.1) and its MAC."""
    return solicited_of(endpoints.dut_ipv6)


def solicited_of(address: str) -> tuple[str, str]:
    """The solicited-node group of ``address`` (RFC 4291 2.7.1) and its MAC (RFC 2464 7)."""
    group = solicited_node(ip6(address))
    return ip6_str(group), mac_str(multicast_mac(group))
