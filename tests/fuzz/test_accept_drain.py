"""The ESTABLISHED scenario's listener is drained of the connections its cases reset
(fuzz.session.drain_accept_queues), also where accept() fails on such a connection.

lwIP 2.1.3's lwip_accept fails with ENOTCONN on a queued connection that was reset before it
was accepted, and consumes it. The drain used to stop at that error: lwIP's accept mailbox
filled after ~130 cases, and from then on every handshake's last ACK drew a RST (its
accept_function failed, tcp_process aborted the pcb) and every case a second one: the
hypothesis campaign's largest group of findings (unexpected tcp:R. in ESTABLISHED)."""

from __future__ import annotations

import pytest

from conformance.targets.lwip import LwipTarget
from fuzz.scenarios import CANONICAL_DUT_PORT, CANONICAL_TESTER_PORT, TESTER_ISS
from fuzz.seqspace import CANONICAL_DUT_ISN
from fuzz.session import DifferentialSession
from fuzz.targets import build_target, prepare_bed
from reference_stack.profiles import LWIP
from reference_stack.wire.tcp import ACK

REASON = LwipTarget.unavailable_reason()
CASES = 200  # well past the ~130 connections lwIP's accept mailbox holds


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_established_cases_never_fill_lwips_accept_queue():
    target = build_target("lwip")
    target.start()
    bed = target.begin_test("accept-drain")
    try:
        prepare_bed(bed)
        session = DifferentialSession(bed, LWIP, 1)
        # RFC 9293 3.10.7.4: an acceptable ACK of nothing new draws nothing.
        ack = session.factory.tcp(CANONICAL_TESTER_PORT, CANONICAL_DUT_PORT, ACK,
                                  TESTER_ISS + 1, CANONICAL_DUT_ISN + 1)
        diverged = []
        for case in range(CASES):
            record = session.run_case("ESTABLISHED", (ack,))
            if record.mismatches or record.setup_mismatches:
                diverged.append((case, record.mismatches[:1]))
        assert not diverged, f"{len(diverged)} of {CASES} cases diverged, first: {diverged[0]}"
    finally:
        target.end_test(bed)
        target.stop()
