"""Rerun one finding against a fresh target (by default the one the finding came from) and a
fresh oracle: the same canonical frames from the same state; a stateful finding's steps
(tester frames and DUT socket calls) on a connection opened the same way; a liveness
finding's batch (every case since the target's last healthy probe), then the health probe
and, for Linux, the kernel log.

``NETCONFORM_REPLAY_BROKEN_RULES`` (comma-separated, may be empty) overrides the rules a
``reference-inproc`` target was built to break, e.g. to check that a finding made against a
planted bug passes against the correct profile.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.judge import store
from conformance.judge.divergence import Divergence
from conformance.judge.oracle import oracle_setup
from conformance.targets.base import Target
from fuzz.findings import BATCH_FILE
from fuzz.liveness import KernelLog, health_probe
from fuzz.runner import liveness_context
from fuzz.scenarios import Listen
from fuzz.session import CaseRecord, DifferentialSession, TargetUnresponsive
from fuzz.targets import build_target, prepare_bed
from reference_stack.wire.frame import dissect

BROKEN_RULES_ENV = "NETCONFORM_REPLAY_BROKEN_RULES"
ESP_STATE_PREFIX = "esp:"  # an ESP engine's case (fuzz.esp_engine.state_name)


@dataclass
class ReplayResult:
    finding_id: str
    state: str
    mismatches: list[Divergence] = field(default_factory=list)
    record: CaseRecord | None = None
    note: str = ""
    # The reason the target's store of analysed differences gives for what still diverges
    # (a non-conformance or a modelled choice the oracle cannot predict), as in a campaign.
    explanation: str | None = None

    def explain(self) -> str:
        head = f"finding {self.finding_id} ({self.state})"
        if self.note:
            return f"{head}: {self.note}"
        if not self.mismatches:
            return f"{head}: the target now matches the oracle"
        lines = [f"{head}: the target still diverges"]
        if self.record is not None:
            lines += [f"  call {call}" for call in self.record.calls]
            for i, frame in enumerate(self.record.sent):
                lines.append(f"  sent {i}: {dissect(frame).summary()}")
                for answer in self.record.responses[i]:
                    lines.append(f"    got: {dissect(answer).summary()}")
        for m in self.mismatches:
            lines.append(f"  {m.kind} {m.field}: expected {m.expected}, got {m.actual} "
                         f"[{m.rule}]")
        lines.append(f"  explained: {self.explanation}" if self.explanation is not None else
                     "  not explained by the target's analysed differences")
        return "\n".join(lines)


def _broken_rules(recorded: list[str]) -> tuple[str, ...]:
    override = os.environ.get(BROKEN_RULES_ENV)
    if override is None:
        return tuple(recorded)
    return tuple(rule for rule in override.split(",") if rule)


def replay_case(session: DifferentialSession, entry: dict[str, Any]) -> CaseRecord:
    """One case (``CaseRecord.case_entry``): frames from a scenario's state (hypothesis,
    boofuzz), or a stateful run's steps from its opening, none at all included (a run that
    ended before its first step)."""
    state = entry["state"]
    if entry.get("as_sent"):  # a boofuzz frame, sent as it was
        return session.resend(state, bytes.fromhex(entry["canonical"][0]))
    if state in session.scenarios or state.startswith(ESP_STATE_PREFIX):
        return session.run_case(state, tuple(bytes.fromhex(h) for h in entry["canonical"]))
    from fuzz.stateful import OPENING_OF, run_steps  # needs hypothesis's stateful

    if state not in OPENING_OF:
        raise ValueError(f"a case from an unknown state {state!r}")
    return run_steps(session, state, entry.get("steps") or [])


def _session(bed: Any, profile: Any, state: str, family: str = "ipv4") -> DifferentialSession:
    """The session a finding's case runs in: an ESP case's installs the SAs of its batch
    with the windows where they stood (fuzz.esp_engine), any other case's is plain, in the
    campaign's family."""
    if not state.startswith(ESP_STATE_PREFIX):
        return DifferentialSession(bed, profile, family=family)
    from fuzz.esp_engine import EspSession, parse_state

    batch, tops = parse_state(state) or (0, ())
    return EspSession(bed, profile, batch=batch, tops=tops)


def _replay_batch(session: DifferentialSession, batch: list[dict[str, Any]],
                  kernel_log: KernelLog | None) -> list[Divergence]:
    """The cases a liveness finding holds, in order, then the health probe and the kernel log
    (the checks that found it)."""
    problems = []
    try:
        for entry in batch:
            replay_case(session, entry)
        problem = health_probe(session, Listen.dut_port)
        if problem is not None:
            problems.append(problem)
    except TargetUnresponsive as exc:
        problems.append(f"target unresponsive: {exc}")
    if kernel_log is not None:
        problems += [f"kernel log: {line}" for line in kernel_log.new_problems()]
    return [_liveness(p) for p in problems]


def _liveness(problem: str) -> Divergence:
    return Divergence("liveness", "target", "alive", problem, "liveness")


def replay_finding(finding_dir: str | os.PathLike, target: Target | None = None) -> ReplayResult:
    """Run the finding's case (or, for a liveness finding, its batch) again; ``target``
    (started by the caller) or a new one built like the finding's."""
    where = Path(finding_dir)
    with open(where / "finding.json") as f:
        rec = json.load(f)
    result = ReplayResult(rec["id"], rec["state"])
    batch: list[dict[str, Any]] = []
    if rec["kind"] == "liveness":
        if (where / BATCH_FILE).exists():
            with open(where / BATCH_FILE) as f:
                batch = json.load(f)
        if not batch:
            result.note = f"a {rec['kind']} finding with no case recorded ({rec['detail']})"
            return result
    own = target is None
    if own:
        info = rec["target"]
        target = build_target(info["name"], _broken_rules(info["broken_rules"]),
                              info.get("worker", 0))
        target.start()
    kernel_log = KernelLog() if batch and target.capabilities.kernel_log else None
    try:
        bed = target.begin_test(f"fuzz-replay-{rec['id']}")
        prepare_bed(bed)
        ended = False
        try:
            session = _session(bed, oracle_setup(target).profile, rec.get("scenario", ""),
                               rec.get("family", "ipv4"))
            if batch:
                result.mismatches = _replay_batch(session, batch, kernel_log)
                ended = True
                try:
                    target.end_test(bed)
                except Exception as exc:  # noqa: BLE001 - a target that died is the finding
                    result.mismatches.append(_liveness(f"target failed: {exc}"))
                ctx = liveness_context(rec.get("response_class", "unresponsive"), batch)
                if result.mismatches and ctx is not None:
                    result.explanation = _analysed(target).explain_case(ctx)
                return result
            entry = {"state": rec.get("scenario", rec["state"]), "canonical": rec["canonical"],
                     "steps": rec.get("steps") or [],
                     "as_sent": rec.get("as_sent", rec.get("engine") == "boofuzz")}
            record = replay_case(session, entry)
        finally:
            if not ended:
                target.end_test(bed)
    finally:
        if kernel_log is not None:
            kernel_log.close()
        if own:
            target.stop()
    result.record = record
    result.mismatches = record.mismatches + record.setup_mismatches
    if result.mismatches:
        result.explanation = _analysed(target).explain_case(record.context())
    return result


def _analysed(target: Target) -> store.Store:
    """The target's store of analysed differences, which a campaign explains findings with."""
    return store.load(target.expectations_file(), None, target.analyses_module)
