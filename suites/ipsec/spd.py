"""Building a test's Security Policy Database from the test's addresses (RFC 4301 4.4.1): a
policy for the traffic between the DUT and the tester, by direction, protocol and ports,
in the test's address family. The configuration goes to the DUT and the oracle alike
(conformance/author/ipsec.py)."""

from __future__ import annotations

from typing import Any

from conformance.author.ipsec import set_ipsec
from conformance.dut.xfrm import host_prefix
from reference_stack.ipsec.config import (
    IN,
    OUT,
    PROTECT,
    REQUIRED,
    IpsecConfig,
    Policy,
    Selector,
    Template,
)

UDP, TCP = 17, 6


def selector(family: Any, endpoints: Any, direction: str, proto: int = UDP,
             dut_port: int = 0, tester_port: int = 0) -> Selector:
    """The traffic from the DUT to the tester (OUT) or from the tester to the DUT (IN)."""
    dut = host_prefix(family.dut_ip(endpoints))
    tester = host_prefix(family.tester_ip(endpoints))
    if direction == OUT:
        return Selector(dut, tester, proto, dut_port, tester_port)
    return Selector(tester, dut, proto, tester_port, dut_port)


def policy(family: Any, endpoints: Any, direction: str, action: str, proto: int = UDP,
           dut_port: int = 0, tester_port: int = 0, priority: int = 0,
           level: str = REQUIRED) -> Policy:
    """One SPD entry; PROTECT asks for an ESP SA in transport mode (at `level`)."""
    templates = (Template(level=level),) if action == PROTECT else ()
    return Policy(direction, selector(family, endpoints, direction, proto, dut_port,
                                      tester_port), action, priority, templates)


def install(bed: Any, *policies: Policy) -> None:
    """The test's SPD (no SAs: what the host kernel, without ESP, can run too)."""
    set_ipsec(bed, IpsecConfig(policies))


__all__ = ["IN", "OUT", "TCP", "UDP", "install", "policy", "selector"]
