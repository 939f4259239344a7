"""The ESP engine (fuzz/esp_engine.py, issue 15): ESP frames opened into the packet they
carried, the ESP fields compared as steps, every template run against the in-process
reference stack without a divergence (with an encrypted reply compared after decryption),
and a campaign that finds a planted difference in the anti-replay window's update."""

from __future__ import annotations

import dataclasses
import json

import pytest

from conformance.fabric.namespaces import DutConfig
from conformance.fabric.naming import WorkerPlan, new_run_id
from conformance.judge.oracle import oracle_setup
from conformance.targets.reference import InprocReferenceTarget
from fuzz.esp_cases import TEMPLATES
from fuzz.esp_engine import EspSession, parse_state, run_esp
from fuzz.esp_lab import TCP_PORT, TESTER_PORT, EspMeta, compare_meta, esp_lab
from fuzz.runner import Campaign
from reference_stack.ipsec.peer import EspPeer
from reference_stack.profiles import LINUX
from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.frame import build_frame, dissect
from reference_stack.wire.ipv4 import Ipv4Repr
from reference_stack.wire.tcp import ACK, RST, TcpRepr

ESP = 50


@pytest.fixture
def target():
    t = InprocReferenceTarget(WorkerPlan(new_run_id(), 0), DutConfig())
    t.start()
    yield t
    t.stop()


def test_an_esp_frame_opens_into_the_packet_it_carried(target):
    bed = target.begin_test("esp-open")
    ep = bed.endpoints
    lab = esp_lab(ep, 0, ipv6=False)
    tcp = next(s for s in lab.sas if s.name == "tcp4")
    dut, tester = ip4(ep.dut_ipv4), ip4(ep.tester_ipv4)
    rst = TcpRepr(TCP_PORT, TESTER_PORT, 0, 5, RST | ACK, 0).emit(dut, tester)
    packet = EspPeer(tcp.from_dut).seal(rst, 6, seq=3)
    macs = (mac(ep.dut_mac), mac(ep.tester_mac))
    frame = build_frame(*macs, Ipv4Repr(dut, tester, ESP, packet, df=True, ident=9))
    opened, meta = lab.open(frame)
    assert opened == build_frame(*macs, Ipv4Repr(dut, tester, 6, rst, df=True, ident=9))
    assert (meta.spi, meta.seq) == (tcp.from_dut.spi, 3)
    # an SA it does not know, or a bad ICV: left as it is
    assert lab.open(frame[:-1] + bytes((frame[-1] ^ 1,))) == (frame[:-1] + bytes(
        (frame[-1] ^ 1,)), None)
    target.end_test(bed)


def test_esp_fields_are_compared_as_steps():
    last: dict = {}
    pad = b"\x01\x02"
    assert compare_meta([EspMeta(1, 1, pad, "")], [EspMeta(1, 1, pad, "")], last) == []
    # the oracle's next is its last + 1: the target's must be its own last + 1
    found = compare_meta([EspMeta(1, 2, pad, "")], [EspMeta(1, 3, pad, "")], last)
    assert [(d.field, d.expected, d.actual) for d in found] == [("esp.seq", "2", "3")]
    # the target went on from 3 (its own count): 4 is right when the oracle's step is 1
    assert compare_meta([EspMeta(1, 3, pad, "")], [EspMeta(1, 4, pad, "")], last) == []
    found = compare_meta([EspMeta(1, 4, pad, "")], [EspMeta(1, 5, b"\x01\x07", "")], last)
    assert [d.field for d in found] == ["esp.padding"]


def test_every_template_agrees_with_the_oracle_on_the_reference_stack(target):
    bed = target.begin_test("esp-templates")
    session = EspSession(bed, oracle_setup(target).profile, 1, batch=0)
    encrypted_replies = 0
    for template in TEMPLATES:
        for index in range(len(session.lab.sas)):
            for variant in range(3):
                entropy = bytes((index, variant, 0, variant, 7 * variant, variant)) + bytes(74)
                record = session.run_case("esp", (session.cases.frame(template, entropy),))
                assert not record.mismatches, (template, index, record.mismatches)
                assert parse_state(record.state)[0] == 0
                answers = [dissect(f) for f in record.responses[0]]
                encrypted_replies += sum(1 for d in answers
                                         if d.ipv4 is not None and d.ipv4.protocol == ESP)
    assert encrypted_replies > 10  # RSTs from the protected TCP port, in ESP
    target.end_test(bed)


def test_a_campaign_finds_a_planted_window_difference(tmp_path):
    """A target that advances its window on a dummy packet or a refused trailer (the rfc
    profile's order), judged with the linux profile: the engine finds it."""
    broken = dataclasses.replace(LINUX, xfrm_replay_advance_after_input=False)
    target = InprocReferenceTarget(WorkerPlan(new_run_id(), 0), DutConfig(), broken)
    target.start()
    try:
        campaign = Campaign(target, tmp_path, seed=5, budget_s=60.0, engine="esp",
                            progress=None, stop_after_findings=1)
        run_esp(campaign)
        summary = campaign.finish()
    finally:
        target.stop()
    assert summary["new_findings"], "no finding within 60 s"
    finding = json.loads((tmp_path / "findings" / summary["new_findings"][0]
                          / "finding.json").read_text())
    assert finding["rule"].startswith(("RFC4303-3.4.3", "RFC9293", "RFC1122", "RFC4443"))
    assert finding["scenario"].startswith("esp:")
    assert "missing" in finding["response_class"]  # the oracle took what the target refused


def test_a_target_without_esp_is_refused(tmp_path, capsys):
    from fuzz.commands import fuzz_command

    assert fuzz_command("linux", "esp", 1.0, 0, str(tmp_path)) == 2
    assert "has no ESP transforms" in capsys.readouterr().err
    assert fuzz_command("reference-inproc", "esp", 1.0, 0, str(tmp_path), family="ipv6") == 2
