"""Traffic a host emits on its own, that no test provokes and whose timing is the host's
choice: explicitly, the IPv6 multicast listener reports and dones a host sends when it joins
or leaves a group and in answer to a query (MLDv1, RFC 2710 4; MLDv2, RFC 3810 6: after a
random delay, so the oracle cannot predict when), and Router Solicitations (RFC 4861 6.3.7,
sent at interface start-up unless turned off). The DUT namespace of a Linux target joins the
solicited-node group of its address when the address is added, so its MLDv2 reports
(from ::, with no link-local address) may arrive during any test.

Everything else the DUT sends, Neighbor Solicitations and Advertisements to multicast
groups included, is a frame the oracle predicts and the judge compares."""

from __future__ import annotations

from reference_stack.wire.frame import dissect
from reference_stack.wire.icmpv6 import (
    MLD_LISTENER_DONE,
    MLD_LISTENER_REPORT,
    MLDV2_LISTENER_REPORT,
    ND_ROUTER_SOLICIT,
)

BACKGROUND_ICMPV6 = frozenset((MLD_LISTENER_REPORT, MLD_LISTENER_DONE, MLDV2_LISTENER_REPORT,
                               ND_ROUTER_SOLICIT))


def is_background(frame: bytes) -> bool:
    """An MLD report or done, or a Router Solicitation (all go to IPv6 multicast groups,
    destination MAC 33:33:xx:xx:xx:xx, RFC 2464 7)."""
    if frame[:2] != b"\x33\x33":
        return False
    d = dissect(frame)
    return d.icmpv6 is not None and d.icmpv6.type in BACKGROUND_ICMPV6
