"""Liveness and crash detection with real parts: a WARNING line in the running kernel's log
(written to /dev/kmsg as root: a real kernel log record) during a campaign against Linux, and
the pytcp target's process killed (by the PID the harness started it with) during a campaign,
each become a finding holding the cases run since the target's last healthy probe; the
campaign goes on and ends cleanly."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import threading
import time
import uuid

import pytest

from conformance.targets.lwip import LwipTarget
from conformance.targets.pytcp import PytcpTarget
from fuzz.hypothesis_engine import run_hypothesis
from fuzz.liveness import KMSG, KernelLog
from fuzz.replay import replay_finding
from fuzz.runner import Campaign
from fuzz.targets import build_target

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (/dev/kmsg, netns)")


def plant_kernel_line(text: str) -> None:
    with open(KMSG, "w") as kmsg:
        kmsg.write(f"<4>{text}\n")


@pytest.fixture
def kernel_log_to_ourselves():
    """Held by every test that plants a WARNING line: pytest-xdist runs two tests at once, and a
    line planted by one would be read as a problem by the other's kernel-log reader."""
    with open("/tmp/netconform-test-kernel-log.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def findings_of(out) -> list[dict]:
    return json.loads((out / "findings.json").read_text())


@needs_root
def test_kernel_log_reader_reports_only_new_alarming_lines(kernel_log_to_ourselves):
    log = KernelLog()
    try:
        assert log.available
        tag = uuid.uuid4().hex
        plant_kernel_line(f"netconform-test: an ordinary line {tag}")
        plant_kernel_line(f"netconform-test: WARNING: planted by test_liveness {tag}")
        problems = [line for line in log.new_problems() if tag in line]
        assert problems == [f"netconform-test: WARNING: planted by test_liveness {tag}"]
        assert not [line for line in log.new_problems() if tag in line]  # read once
    finally:
        log.close()


@needs_root
def test_kernel_warning_during_a_linux_campaign_is_a_finding_with_its_batch(
        tmp_path, kernel_log_to_ourselves):
    tag = uuid.uuid4().hex
    target = build_target("linux")
    target.start()
    try:
        campaign = Campaign(target, tmp_path, seed=5, budget_s=3.0, engine="hypothesis",
                            progress=None)
        timer = threading.Timer(1.0, plant_kernel_line,
                                (f"netconform-test: WARNING: planted during a campaign {tag}",))
        timer.start()
        try:
            run_hypothesis(campaign, max_frames=1)
        finally:
            timer.join()
        summary = campaign.finish()
    finally:
        target.stop()
    liveness = [f for f in findings_of(tmp_path) if f["kind"] == "liveness" and tag in f["detail"]]
    assert liveness, findings_of(tmp_path)
    finding = liveness[0]
    assert finding["response_class"].startswith("kernel-log:") and not finding["explained"]
    assert finding["id"] in summary["unexplained"]
    batch = json.loads((tmp_path / finding["path"] / "batch.json").read_text())
    assert 0 < len(batch) <= summary["cases"]  # the cases since the last healthy probe
    assert {"state", "canonical"} <= set(batch[0])
    # Replayable: the batch runs again on a fresh DUT, then the probe and the kernel log
    # (the planted line is not logged again, so the target now passes).
    result = replay_finding(tmp_path / finding["path"])
    assert not result.note and not result.mismatches, result.explain()


def _unavailable(cls) -> pytest.MarkDecorator:
    reason = cls.unavailable_reason()
    return pytest.mark.skipif(reason is not None, reason=str(reason))


@pytest.mark.parametrize("name", [
    pytest.param("pytcp", marks=_unavailable(PytcpTarget)),
    # lwIP's agent is asked for the tester's address before each barrier probe: its death
    # surfaced there as an AgentFailure that ended the whole campaign with a traceback
    pytest.param("lwip", marks=_unavailable(LwipTarget)),
])
def test_dut_process_killed_during_a_campaign_is_a_finding_and_the_campaign_goes_on(
        tmp_path, name):
    target = build_target(name)
    target.start()
    pids: list[int] = []
    begin_test = target.begin_test

    def recording_begin_test(test_id):
        bed = begin_test(test_id)
        pids.append(bed.handle.agent.pid)  # the process this harness started for the batch
        return bed

    target.begin_test = recording_begin_test
    killed: list[int] = []

    def kill_first_dut():
        deadline = time.monotonic() + 20
        while not pids and time.monotonic() < deadline:
            time.sleep(0.05)
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    try:
        campaign = Campaign(target, tmp_path, seed=6, budget_s=10.0, engine="hypothesis",
                            progress=None)
        killer = threading.Timer(2.0, kill_first_dut)
        killer.start()
        try:
            run_hypothesis(campaign, max_frames=1)
        finally:
            killer.join()
        summary = campaign.finish()
    finally:
        target.stop()
    assert killed
    liveness = [f for f in findings_of(tmp_path) if f["kind"] == "liveness"]
    assert liveness, findings_of(tmp_path)
    assert any(f"{name} process ended" in f["detail"] or "unresponsive" in f["detail"]
               or "target failed" in f["detail"] for f in liveness), liveness
    assert all(f["batch_cases"] > 0 for f in liveness), liveness  # the input is kept
    # a fresh DUT after the dead one
    assert campaign.batches >= 2 and len(pids) >= 2, (liveness, summary)
    assert summary["cases"] > 0
