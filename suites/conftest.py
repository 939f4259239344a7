"""The suites use the netconform pytest plugin's fixtures: ex, dut, link, endpoints, bed.

One suite-wide fixture: ``dut_link_ready`` makes sure the DUT can transmit before a test starts.
A fresh namespace's veth gets its queueing discipline from the kernel's link-watch work a few
milliseconds after it comes up; until then the DUT's replies are dropped (drop reason
QDISC_DROP in __dev_queue_xmit). The fabric waits for both veth ends to be RUNNING before it
hands a namespace out (conformance.fabric.wait_running); this guard pings the DUT until it
answers, one round trip when the link is ready, for targets whose readiness the fabric
cannot see.
"""

import time

import pytest

from conformance.exchange import echo_reply_predicate
from conformance.templates import ICMPv4, Payload

READY_IDENT = 0x5244
READY_TIMEOUT_S = 2.0
RETRY_S = 0.02


@pytest.fixture(autouse=True)
def dut_link_ready(bed, ex):
    if not bed.capabilities.replies_synchronously:
        return
    deadline = time.monotonic() + READY_TIMEOUT_S
    seq = 0
    while True:
        seq += 1
        probe = ex.build(ICMPv4(type=8, rest=(READY_IDENT << 16) | seq),
                         Payload(b"netconform-link-ready"))
        bed.link.send(probe)
        reply, _ = bed.link.expect(echo_reply_predicate(READY_IDENT, seq), RETRY_S)
        if reply is not None:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"the DUT did not answer an echo request within {READY_TIMEOUT_S} s")
    bed.link.pending = []
