"""The findings store (written before the next case, deduplicated, resumable) and replay, on
the in-process reference target with a planted bug (no privileges needed)."""

from __future__ import annotations

import json

import pytest

from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan, new_run_id
from conformance.judge import store
from conformance.targets.reference import InprocReferenceTarget
from fuzz import replay
from fuzz.findings import FindingsStore
from fuzz.replay import BROKEN_RULES_ENV, replay_finding
from fuzz.runner import Campaign
from fuzz.scenarios import CANONICAL_DUT_PORT, CANONICAL_TESTER_PORT, TESTER_ISS
from fuzz.session import DifferentialSession
from reference_stack.profiles import LINUX
from reference_stack.wire.frame import build_frame
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.tcp import ACK, RST

PLANTED = "RFC5961-3.2-MUST-rst-challenge-ack"


@pytest.fixture
def broken_target():
    target = InprocReferenceTarget(WorkerPlan(new_run_id(), 0), DutConfig(),
                                  LINUX.breaking(PLANTED))
    target.start()
    yield target
    target.stop()


def in_window_rst(session: DifferentialSession, offset: int) -> bytes:
    """RFC 5961 3.2: in the window but not at RCV.NXT: a challenge ACK is due."""
    return session.factory.tcp(CANONICAL_TESTER_PORT, CANONICAL_DUT_PORT, RST,
                               TESTER_ISS + 1 + offset)


def test_finding_is_on_disk_before_the_next_case_and_deduplicated(broken_target, tmp_path):
    campaign = Campaign(broken_target, tmp_path, seed=1, budget_s=30, engine="test",
                        progress=None)
    with campaign.batch() as session:
        first = session.run_case("ESTABLISHED", (in_window_rst(session, 5),))
        finding = campaign.observe(first)
        assert finding is not None
        where = tmp_path / "findings" / finding.id
        # On disk now, before any other case runs.
        for name in ("finding.json", "frame-0.bin", "exchange.pcap", "response.json",
                     "prediction.json", "divergence.json", "test_replay.py"):
            assert (where / name).is_file(), name
        assert (where / "frame-0.bin").read_bytes() == first.sent[0]
        index = json.loads((tmp_path / "findings.json").read_text())
        assert [f["id"] for f in index] == [finding.id]
        assert index[0]["rule"] == PLANTED and index[0]["state"] == "ESTABLISHED"
        # The same bug again, another offset: counted, not saved twice.
        second = session.run_case("ESTABLISHED", (in_window_rst(session, 9),))
        assert second.signature == first.signature
        assert campaign.observe(second) is None
        # A conforming case is no divergence.
        ok = session.run_case("ESTABLISHED", (session.factory.tcp(
            CANONICAL_TESTER_PORT, CANONICAL_DUT_PORT, ACK, TESTER_ISS + 1, 0),))
        assert campaign.observe(ok) is None
    assert campaign.stats.cases == 3 and campaign.stats.divergences == 2
    assert FindingsStore(tmp_path).known(first.signature)  # a resumed run knows it


def test_replay_reproduces_against_the_broken_profile_only(broken_target, tmp_path,
                                                           monkeypatch):
    campaign = Campaign(broken_target, tmp_path, seed=1, budget_s=30, engine="test",
                        progress=None)
    with campaign.batch() as session:
        finding = campaign.observe(session.run_case("ESTABLISHED", (in_window_rst(session, 3),)))
    where = tmp_path / "findings" / finding.id
    still = replay_finding(where)
    assert [m.rule for m in still.mismatches] == [PLANTED]
    assert "still diverges" in still.explain()
    assert still.explanation is None and "not explained" in still.explain()
    # A divergence the target's store has analysed says so, with the entry's reason.
    analysed = store.Store("reference-inproc", (store.Entry("analysed: why", rule=(PLANTED,)),))
    monkeypatch.setattr(replay.store, "load", lambda *args: analysed)
    assert "explained: analysed: why" in replay_finding(where).explain()
    monkeypatch.setenv(BROKEN_RULES_ENV, "")
    fixed = replay_finding(where)
    assert fixed.mismatches == [] and "now matches" in fixed.explain()


def test_host_level_finding_replays_from_its_scenario(tmp_path):
    """A frame that is no segment of the connection is a ``host`` cell; replay still knows
    the scenario it ran in."""
    checksum_rule = "RFC1122-3.2.1.2-MUST-verify-checksum"
    target = InprocReferenceTarget(WorkerPlan(new_run_id(), 0), DutConfig(),
                                  LINUX.breaking(checksum_rule))
    target.start()
    try:
        campaign = Campaign(target, tmp_path, seed=1, budget_s=30, engine="test",
                            progress=None)
        with campaign.batch() as session:
            addrs = session.addrs
            ip = Ipv4Repr(src=addrs.tester_ip, dst=addrs.dut_ip, protocol=1)
            good = build_frame(addrs.tester_mac, addrs.dut_mac, ip,
                               Icmpv4Repr(8, 0, 0x12340001, b"ping"))
            bad = good[:24] + bytes([good[24] ^ 0xFF]) + good[25:]  # IPv4 header checksum
            finding = campaign.observe(session.run_case("CLOSED", (bad,)))
    finally:
        target.stop()
    assert finding is not None
    record = json.loads((tmp_path / "findings" / finding.id / "finding.json").read_text())
    assert (record["state"], record["scenario"]) == ("host", "CLOSED")
    assert record["rule"] == checksum_rule
    assert replay_finding(tmp_path / "findings" / finding.id).mismatches
