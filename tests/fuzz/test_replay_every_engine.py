"""Every saved finding of every engine replays (``netconform replay``): a divergence of each
engine (hypothesis's frames from a state, a stateful run's steps, a boofuzz frame as sent),
and a liveness finding whose batch holds a case of each, among them a stateful run that ended
before its first step (its entry has a state and no steps: replay once raised KeyError
'passive-open+calls' on it). On the in-process reference target with planted bugs (no
privileges needed)."""

from __future__ import annotations

import json

import pytest

from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan, new_run_id
from conformance.targets.reference import InprocReferenceTarget
from fuzz.boofuzz_engine import state_of
from fuzz.commands import replay_command
from fuzz.replay import BROKEN_RULES_ENV, replay_finding
from fuzz.runner import Campaign
from fuzz.scenarios import CANONICAL_DUT_PORT, CANONICAL_TESTER_PORT, TESTER_ISS
from fuzz.session import CaseRecord, DifferentialSession
from fuzz.stateful import STATE_OF, run_steps
from reference_stack.profiles import LINUX
from reference_stack.wire.tcp import RST, SYN

CHALLENGE = "RFC5961-3.2-MUST-rst-challenge-ack"  # planted: no challenge ACK
CHECKSUM = "RFC9293-3.1-MUST-checksum"  # planted: a bad TCP checksum is not dropped
PLANTED = (CHALLENGE, CHECKSUM)
CLOSED_PORT = 9


@pytest.fixture
def campaign(tmp_path, monkeypatch):
    monkeypatch.setenv(BROKEN_RULES_ENV, ",".join(PLANTED))
    target = InprocReferenceTarget(WorkerPlan(new_run_id(), 0), DutConfig(),
                                  LINUX.breaking(*PLANTED))
    target.start()
    yield Campaign(target, tmp_path, seed=3, budget_s=30, engine="test", progress=None)
    target.stop()


def in_window_rst(session: DifferentialSession) -> bytes:
    """RFC 5961 3.2: in the window but not at RCV.NXT (canonical space)."""
    return session.factory.tcp(CANONICAL_TESTER_PORT, CANONICAL_DUT_PORT, RST, TESTER_ISS + 6)


def bad_checksum_syn(session: DifferentialSession) -> bytes:
    """A SYN to a closed port, as boofuzz sends it, with its TCP checksum broken."""
    frame = bytearray(session.factory.tcp(40000, CLOSED_PORT, SYN, 1000))
    frame[14 + 20 + 16] ^= 0xFF
    return bytes(frame)


def boofuzz_case(session: DifferentialSession) -> CaseRecord:
    """What boofuzz's post-case callback judges: a frame it sent itself."""
    frame = bad_checksum_syn(session)
    state, ports = state_of(frame)
    session.link.send(frame)
    return session.judge_sent(state, frame, ports)


def cases_of_each_engine(session: DifferentialSession) -> dict[str, CaseRecord]:
    return {
        "hypothesis": session.run_case("ESTABLISHED", (in_window_rst(session),)),
        "stateful": run_steps(session, STATE_OF["passive"],
                              [{"call": "recv"}, {"frame": in_window_rst(session).hex()}]),
        "stateful-active": run_steps(session, STATE_OF["active"], [{"call": "connect"}]),
        "boofuzz": boofuzz_case(session),
    }


def test_a_divergence_of_every_engine_replays(campaign):
    with campaign.batch() as session:
        records = cases_of_each_engine(session)
        for engine in ("hypothesis", "stateful", "boofuzz"):
            campaign.engine = engine
            assert campaign.observe(records[engine]) is not None, engine
    for finding in campaign.store.findings():
        where = campaign.out / finding["path"]
        result = replay_finding(where)
        assert result.mismatches, (finding["engine"], result.explain())  # still broken
        assert {m.rule for m in result.mismatches} & set(PLANTED)
        assert replay_command(str(where)) == 1
    engines = sorted(f["engine"] for f in campaign.store.findings())
    assert engines == ["boofuzz", "hypothesis", "stateful"]


def test_a_liveness_batch_holding_a_case_of_every_engine_replays(campaign):
    with campaign.batch() as session:
        records = cases_of_each_engine(session)
        # a stateful run that ended before its first step (an entry without steps)
        records["stateful-empty"] = run_steps(session, STATE_OF["passive"], [])
        for record in records.values():
            campaign.count(record)
        entries = list(campaign.unprobed)
        campaign.liveness("planted: the target hung")  # before the batch's health probe
    assert {e["state"] for e in entries} >= {"ESTABLISHED", "CLOSED", *STATE_OF.values()}
    assert any(e["state"] == STATE_OF["passive"] and "steps" not in e for e in entries)
    assert any(e.get("as_sent") for e in entries)
    [finding] = campaign.store.findings()
    where = campaign.out / finding["path"]
    assert len(json.loads((where / "batch.json").read_text())) == len(entries)
    result = replay_finding(where)  # the batch runs, then the health probe: alive
    assert result.mismatches == [], result.explain()
    assert replay_command(str(where)) == 0
