"""Rerun one finding: the same canonical frames, from the same state, against a fresh target
(by default the one the finding came from) and a fresh oracle.

``NETCONFORM_REPLAY_BROKEN_RULES`` (comma-separated, may be empty) overrides the rules a
``reference-inproc`` target was built to break, e.g. to check that a finding made against a
planted bug passes against the correct profile.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from conformance.targets.base import Target
from fuzz.compare import Mismatch
from fuzz.session import CaseRecord, DifferentialSession
from fuzz.targets import build_target, oracle_profile_for
from reference_stack.wire.frame import dissect

BROKEN_RULES_ENV = "NETCONFORM_REPLAY_BROKEN_RULES"


@dataclass
class ReplayResult:
    finding_id: str
    state: str
    mismatches: list[Mismatch] = field(default_factory=list)
    record: CaseRecord | None = None
    note: str = ""

    def explain(self) -> str:
        head = f"finding {self.finding_id} ({self.state})"
        if self.note:
            return f"{head}: {self.note}"
        if not self.mismatches:
            return f"{head}: the target now matches the oracle"
        lines = [f"{head}: the target still diverges"]
        if self.record is not None:
            for i, frame in enumerate(self.record.sent):
                lines.append(f"  sent {i}: {dissect(frame).summary()}")
                for answer in self.record.responses[i]:
                    lines.append(f"    got: {dissect(answer).summary()}")
        for m in self.mismatches:
            lines.append(f"  {m.kind} {m.field}: expected {m.expected}, got {m.actual} "
                         f"[{m.rule}]")
        return "\n".join(lines)


def _broken_rules(recorded: list[str]) -> tuple[str, ...]:
    override = os.environ.get(BROKEN_RULES_ENV)
    if override is None:
        return tuple(recorded)
    return tuple(rule for rule in override.split(",") if rule)


def replay_finding(finding_dir: str | os.PathLike, target: Target | None = None) -> ReplayResult:
    """Run the finding's case again; ``target`` (started by the caller) or a new one built
    like the finding's."""
    with open(Path(finding_dir) / "finding.json") as f:
        rec = json.load(f)
    result = ReplayResult(rec["id"], rec["state"])
    if rec["kind"] != "divergence":
        result.note = f"a {rec['kind']} finding has no case to replay ({rec['detail']})"
        return result
    own = target is None
    if own:
        info = rec["target"]
        target = build_target(info["name"], _broken_rules(info["broken_rules"]),
                              info.get("worker", 0))
        target.start()
    try:
        bed = target.begin_test(f"fuzz-replay-{rec['id']}")
        try:
            session = DifferentialSession(bed, oracle_profile_for(target))
            canonical = tuple(bytes.fromhex(h) for h in rec["canonical"])
            record = session.run_case(rec.get("scenario", rec["state"]), canonical)
        finally:
            target.end_test(bed)
    finally:
        if own:
            target.stop()
    result.record = record
    result.mismatches = record.mismatches + record.setup_mismatches
    return result
