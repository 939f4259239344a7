"""The fuzz session tells its oracle about the target's frames the oracle never predicts, in
the NIC's order among the frames it judges (fuzz.session.Answers, through the judge's
Matcher.unpredicted_frame, as the suites' lockstep does): the barrier probe's answer (the
probe goes to the target only) and background traffic (an MLD report of the VM's own), also
one that came between two steps among the target's timer frames (run_oracle_timers). For
the vm target's profile nic_holds_last_frame (virtio_net without TX NAPI: start_xmit ->
free_old_xmit_skbs frees the skb sent before) such a frame frees the FIN's clone the NIC held,
so the loss probe's FIN is then held instead, and the RTO resends the data alone (Linux
tcp_retrans_try_collapse -> tcp_can_collapse: skb_cloned).

The target is a twin reference stack in-process with the profile the VM behaves by (its own
echo reply frees what it held); the stateful engine's steps: a passive open, 8 octets sent,
SHUT_WR (a FIN of its own), then the loss probe (10 ms on: judged at the SHUT_WR's step when
it fires in the quiescence window, after the MLD report) and the RTO, judged at a recv step."""

from __future__ import annotations

import dataclasses
import time
from types import SimpleNamespace

import pytest

from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan, new_run_id
from conformance.targets.reference import InprocReferenceTarget
from fuzz.session import DifferentialSession, in_nic_order
from fuzz.stateful import ConnectionDriver
from reference_stack.profiles import LINUX
from reference_stack.wire.frame import dissect
from reference_stack.wire.tcp import FIN
from tests.unit.conformance.test_nic_other_frame import mld_report

HELD = dataclasses.replace(LINUX, nic_holds_last_frame=True)
RULE = "LINUX-tcp_can_collapse-skb-cloned"
QUICK_WINDOW_S = 0.02  # the in-process twin answers within its call


def _run(barrier: str | None, report: str | None):
    """The steps against the twin (HELD), judged by an oracle with HELD, with the twin's MLD
    report (None: none) right after its FIN (``after_fin``) or after its loss probe's FIN
    (``after_probe``, between two steps): the frames the twin sent from the SHUT_WR on, the
    case's divergences and the rules of the oracle's timers."""
    target = InprocReferenceTarget(WorkerPlan(new_run_id(), 0), DutConfig(), HELD)
    bed = target.begin_test("nic-other-frame")
    try:
        session = DifferentialSession(bed, HELD, seed=3, barrier=barrier)
        session.caps = dataclasses.replace(session.caps, quiescence_window_s=QUICK_WINDOW_S)
        timer_rules: list[str] = []
        session.matcher.on_reaction = lambda r: timer_rules.extend(d.rule for d in r.trace)
        twin = bed.handle  # (the InlineDriver of the twin's stack)
        if report == "after_fin":
            _report_after_fin(bed, twin)
        driver = ConnectionDriver(session, "passive")
        driver.step({"call": "send", "data": b"probe me".hex()})
        driver.step({"call": "shutdown"})
        tcb = next(t for t in twin.stack.tcp.conns.values()
                   if t.remote_port == driver.ctx.ports.actual)
        deadline = time.monotonic() + 5.0
        while tcb.retries == 0 and time.monotonic() < deadline:
            session.link.watch(0.005)  # (reading the link: the twin's timers fire on time)
            if report == "after_probe" and session.link.pending:  # (the loss probe's FIN)
                _report(twin)
                report = None
        driver.step({"call": "recv"})  # judges what the timers sent
        record = driver.finish()
        sent = [dissect(f).tcp for step in record.call_answers[1:] for f in step]
        return sent, record.mismatches, timer_rules
    finally:
        target.end_test(bed)


def _report(twin) -> None:
    """An MLD report of the twin's own (the VM's, RFC 3810 6: at a random time): its NIC
    freed the clone it held."""
    twin.outbox.append(mld_report())
    twin.outbox_t.append(time.time())
    twin.with_stack(lambda stack: stack.other_frame_sent())


def _report_after_fin(bed, twin) -> None:
    """The twin's SHUT_WR followed by its MLD report before anything else."""
    shutdown = bed.dut.shutdown_with_errno

    def shutdown_then_report(*args):
        result = shutdown(*args)
        _report(twin)
        return result

    bed.dut.shutdown_with_errno = shutdown_then_report


@pytest.mark.parametrize("barrier,report", [
    ("echo", None),  # the probe's echo reply after the FIN frees it
    (None, "after_fin"),  # no probe (a quiescence window): the MLD report after the FIN
])
def test_a_frame_the_oracle_never_predicted_frees_the_held_fin(barrier, report):
    (fin, probe, again), mismatches, timer_rules = _run(barrier, report)
    # the loss probe resends the FIN (freed: a clone of it now held), so the RTO resends the
    # data alone; the oracle, told of the frame after the FIN, predicts the same
    assert fin.flags & FIN and probe.flags & FIN and probe.seq == fin.seq
    assert again.payload == b"probe me" and not again.flags & FIN
    assert mismatches == []
    assert RULE in timer_rules


def test_a_report_between_the_probes_fin_and_the_rto_frees_it_for_the_rto():
    # both timers' frames and the report between them came between two steps, read at the
    # next step's barrier: the oracle learns of the report after its loss probe, before its
    # RTO (the measured vm: 2 of 10 runs of scripts/fuzz_held_fin.py, RTO [FP.])
    (fin, probe, again), mismatches, timer_rules = _run("echo", "after_probe")
    assert probe.flags & FIN and probe.seq == fin.seq
    assert again.payload == b"probe me" and again.flags & FIN
    assert mismatches == []
    assert RULE not in timer_rules


def test_answers_keep_where_the_unpredicted_frames_went():
    # an earlier case's frame (predicted when its case was judged: left out), the case's
    # frame, a background frame, the probe's reply, then a frame of the quiescence window
    other, case, late, report = b"other", b"case", b"late", mld_report()
    fake = SimpleNamespace(_barrier=lambda: ([other, case, report], [late]), probes=object())
    found = DifferentialSession.answers(fake, lambda f: f in (case, late))
    assert found.frames == [case, late] and found.unpredicted == [1, 1]
    assert list(in_nic_order(found.frames, found.unpredicted)) == [case, None, None, late]
    fake.probes = None  # no probe, no reply
    assert DifferentialSession.answers(fake, lambda f: f == case).unpredicted == [1]
