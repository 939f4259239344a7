"""The lockstep oracle check, on the in-process reference target (no privileges needed):
the oracle judging itself finds nothing, and a target that breaks one rule is caught even
where the test's own assertions say nothing about that rule."""

import socket

from conformance import naming
from conformance.exchange import Exchange
from conformance.fabric import DutConfig
from conformance.lockstep import RecordingDutApi, check_bed
from conformance.targets.reference import InprocReferenceTarget
from reference_stack.profiles import LINUX

CHALLENGE_ACK = "RFC5961-3.2-MUST-rst-challenge-ack"
PORT = 8080


def run_scenario(profile):
    """Handshake with a DUT listener, then an in-window RST that is not at RCV.NXT."""
    target = InprocReferenceTarget(naming.WorkerPlan("0000", 0), DutConfig(), profile=profile)
    bed = target.begin_test("lockstep")
    bed.dut = RecordingDutApi(bed.dut)
    bed.oracle_profile = LINUX
    try:
        ex = Exchange(bed)
        lfd = bed.dut.socket(socket.AF_INET, socket.SOCK_STREAM)
        bed.dut.bind(lfd, (bed.endpoints.dut_ipv4, PORT))
        bed.dut.listen(lfd, 4)
        conn = ex.tcp(dut_port=PORT)
        conn.handshake()
        bed.dut.accept(lfd)
        conn.send(flags="R", seq=conn.snd_nxt + 100, advance=False)
        ex.settle()
        return check_bed(bed)
    finally:
        target.end_test(bed)


def test_oracle_judging_itself_finds_no_divergence():
    outcome = run_scenario(LINUX)
    assert outcome.divergences == []
    assert outcome.matched >= 3  # SYN-ACK, challenge ACK, barrier echo reply
    assert any(d["rule"] == CHALLENGE_ACK for d in outcome.decisions)


def test_a_target_breaking_a_rule_diverges_with_that_rule_cited():
    outcome = run_scenario(LINUX.breaking(CHALLENGE_ACK))
    missing = [d for d in outcome.divergences if d["actual"] == "nothing"]
    assert missing and missing[0]["rule"] == CHALLENGE_ACK
