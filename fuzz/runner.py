"""The differential campaign both engines share: batches on a fresh DUT, the oracle comparison
of every case, findings, liveness after each batch, progress and the summary.

A batch is one test bed of the target (one DUT namespace for Linux) and one oracle; after it
the target is health-probed (:mod:`fuzz.liveness`) and, for Linux, the kernel log is read.
Engines (``fuzz.hypothesis_engine``, ``fuzz.boofuzz_engine``) feed cases through
:meth:`Campaign.observe`; a new signature is written as a finding before the next case runs.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from conformance.author import barriers
from conformance.judge import store
from conformance.judge.oracle import oracle_setup
from conformance.judge.store import Context
from conformance.targets.base import Target
from fuzz.findings import Finding, FindingsStore, TargetInfo, signature_id
from fuzz.liveness import KernelLog, health_probe
from fuzz.scenarios import Listen
from fuzz.session import CANONICAL_CONSTANTS, CaseRecord, DifferentialSession
from fuzz.targets import broken_rules_of, prepare_bed, worker_of

STATE_FILE = "campaign.json"
PROGRESS_INTERVAL_S = 0.5


@dataclass
class Stats:
    cases: int = 0
    divergences: int = 0
    seconds: float = 0.0
    cells: set[tuple[str, str]] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "divergences": self.divergences,
                "seconds": round(self.seconds, 3), "cells": sorted(map(list, self.cells))}

    @classmethod
    def load(cls, path: Path) -> Stats:
        if not path.exists():
            return cls()
        with open(path) as f:
            d = json.load(f)
        return cls(d["cases"], d["divergences"], d["seconds"], {tuple(c) for c in d["cells"]})


class Campaign:
    def __init__(self, target: Target, out_dir: str | Path, seed: int, budget_s: float,
                 engine: str, progress: TextIO | None = sys.stderr,
                 stop_after_findings: int | None = None,
                 stop_when: Callable[[Finding], bool] | None = None,
                 family: str = "ipv4") -> None:
        self.target = target
        self.family = family  # its sessions' and findings' (--family: ipv4 or ipv6)
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.seed = seed
        self.engine = engine
        self.store = FindingsStore(self.out)
        self.previous = Stats.load(self.out / STATE_FILE)  # resumed from an earlier run
        self.stats = Stats()
        self.started = time.monotonic()
        self.deadline = self.started + budget_s
        self.progress = progress
        self._last_progress = 0.0
        self.new_findings: list[str] = []
        self.target_info = TargetInfo(target.name, broken_rules_of(target), worker_of(target))
        # The oracle: the target's profile and its DUT's sysctls (conformance.judge.oracle);
        # findings are explained by the target's own store of analysed differences.
        self.oracle = oracle_setup(target)
        self.analysed = store.load(target.expectations_file(), None, target.analyses_module)
        self.kernel_log = KernelLog() if target.capabilities.kernel_log else None
        self.batches = 0
        self.stop_after_findings = stop_after_findings
        self.stop_when = stop_when
        self._stop = False
        # Every case run since the target last passed its health probe (task of a liveness
        # finding: the input that may have crashed or hung it, replayable).
        self.unprobed: list[dict[str, Any]] = []
        self.dut_sysctls: dict[str, str] = {}
        # The barrier probe (conformance.author.barriers), chosen on the first batch's bed;
        # the one line saying so when it is not the echo.
        self.barrier: str | None = target.capabilities.barrier
        self.barrier_note: str | None = None
        # What a batch's session is (bed, oracle profile, seed, barrier): an engine may give
        # its own (fuzz.esp_engine: the session with the IPsec configuration installed).
        self.session_factory: Callable[..., DifferentialSession] = DifferentialSession

    # -- time ----------------------------------------------------------------------------
    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def done(self) -> bool:
        """Out of time, or (when asked to stop early) enough new findings, or the one
        ``stop_when`` was waiting for."""
        enough = (self.stop_after_findings is not None
                  and len(self.new_findings) >= self.stop_after_findings)
        return enough or self._stop or self.time_left() <= 0

    # -- batches -------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[DifferentialSession]:
        """A fresh test bed and oracle; liveness checked when the batch ends."""
        session = self.open_batch()
        healthy = False
        try:
            yield session
            healthy = True
        finally:
            self.close_batch(session, probe=healthy)

    def open_batch(self) -> DifferentialSession:
        self.batches += 1
        bed = self.target.begin_test(f"fuzz-batch-{self.batches}")
        self.dut_sysctls = prepare_bed(bed)
        if self.batches == 1:  # the barrier probe the target answers, chosen once
            self.barrier = barriers.for_bed(bed)
            self.barrier_note = barriers.fallback_note(self.barrier)
            if self.barrier_note and self.progress is not None:
                self.progress.write(f"netconform: {self.barrier_note}\n")
        return self.session_factory(bed, self.oracle.profile, self.seed + self.batches,
                                    barrier=self.barrier, family=self.family)

    def close_batch(self, session: DifferentialSession, probe: bool = True) -> None:
        """Health probe (echo and a fresh handshake), kernel log, then the bed goes; the
        batch's cases are forgotten only once the target passed all three."""
        try:
            problem = health_probe(session, Listen.dut_port) if probe else None
            if problem is not None:
                self.liveness(f"health probe after batch {self.batches}: {problem}")
        except Exception as exc:  # noqa: BLE001 - a target that died under the probe (its
            # agent gone: AgentFailure) is a finding, and the campaign goes on
            self.liveness(f"target failed in the health probe after batch {self.batches}: "
                          f"{exc}", response="crash")
        finally:
            self._read_kernel_log()
            self._end_test(session)
        self.unprobed = []

    def _end_test(self, session: DifferentialSession) -> None:
        """Tear the bed down; a target process that died or hung becomes a finding and the
        campaign goes on with a fresh one (the next batch's bed)."""
        try:
            self.target.end_test(session.bed)
        except Exception as exc:  # noqa: BLE001 - any failure of the target is a finding
            self.liveness(f"target failed in batch {self.batches}: {exc}", response="crash")

    def _read_kernel_log(self) -> None:
        if self.kernel_log is None:
            return
        for line in self.kernel_log.new_problems():
            self.liveness(f"kernel log: {line}", response="kernel-log:" + line.split(":")[0])

    # -- findings ------------------------------------------------------------------------
    def count(self, record: CaseRecord) -> None:
        """A case ran (and is kept for a liveness finding until the next healthy probe)."""
        self.unprobed.append(record.case_entry())
        self.stats.cases += 1

    def observe(self, record: CaseRecord) -> Finding | None:
        """Count a case; a new divergence signature is saved (and returned) at once."""
        self.count(record)
        self.stats.cells.add((record.cell_state, record.kind))
        if not (record.mismatches or record.setup_mismatches):
            self.show_progress()
            return None
        self.stats.divergences += 1
        finding = self.save_if_new(record)
        self.show_progress()
        return finding

    def save_if_new(self, record: CaseRecord) -> Finding | None:
        signature = record.signature
        if self.store.known(signature):
            return None
        finding = Finding(signature_id(signature), signature, record, self.target_info,
                          self.engine, explanation=self.explain(record), family=self.family)
        self.save(finding)
        self.new_findings.append(finding.id)
        if self.stop_when is not None and self.stop_when(finding):
            self._stop = True
        return finding

    def explain(self, record: CaseRecord) -> str | None:
        """The reason the target's store gives for a case's divergence, if it was analysed."""
        return self.analysed.explain_case(record.context())

    def explain_liveness(self, response: str, batch: list[dict[str, Any]]) -> str | None:
        """The reason the target's store gives for a hang or crash (see liveness_context)."""
        ctx = liveness_context(response, batch)
        return None if ctx is None else self.analysed.explain_case(ctx)

    def save(self, finding: Finding, durable: bool = True) -> None:
        self.store.save(finding, durable)

    def liveness(self, detail: str, response: str = "unresponsive",
                 in_flight: CaseRecord | None = None) -> None:
        """A liveness finding (the target hung, died, or its kernel complained) holding the
        cases run since the last healthy probe, and ``in_flight``, the case it stopped in."""
        record = CaseRecord("any", ())
        signature = ("liveness", "any", response)
        if in_flight is not None:  # run too: a later finding of the batch (its end) keeps it
            self.unprobed.append(in_flight.case_entry())
        if self.store.known(signature):
            return
        batch = list(self.unprobed)
        finding = Finding(signature_id(signature), signature, record, self.target_info,
                          self.engine, kind="liveness", detail=detail, batch=batch,
                          explanation=self.explain_liveness(response, batch),
                          family=self.family)
        self.save(finding)
        self.new_findings.append(finding.id)

    # -- reporting -----------------------------------------------------------------------
    def totals(self) -> Stats:
        return Stats(self.previous.cases + self.stats.cases,
                     self.previous.divergences + self.stats.divergences,
                     self.previous.seconds + self.elapsed(),
                     self.previous.cells | self.stats.cells)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def progress_line(self) -> str:
        elapsed = max(self.elapsed(), 1e-9)
        return (f"{self.engine}: {self.stats.cases} cases, {self.stats.cases / elapsed:.0f}/s, "
                f"{self.stats.divergences} divergences, {len(self.store.index)} unique findings "
                f"({len(self.store.unexplained())} unexplained), "
                f"{len(self.totals().cells)} state x kind cells")

    def show_progress(self, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            self.progress.write("\r" + self.progress_line())
            self.progress.flush()

    def finish(self) -> dict[str, Any]:
        """Write the resume state and the findings index; the summary as a dict."""
        totals = self.totals()
        with open(self.out / STATE_FILE, "w") as f:
            json.dump(totals.to_dict(), f, indent=1)
        self.store.write_index()
        if self.kernel_log is not None:
            self.kernel_log.close()
        self.show_progress(force=True)
        if self.progress is not None:
            self.progress.write("\n")
        return {
            "engine": self.engine, "target": self.target.name, "seed": self.seed,
            "cases": self.stats.cases, "seconds": round(self.elapsed(), 3),
            "cases_per_s": round(self.stats.cases / max(self.elapsed(), 1e-9), 1),
            "divergences": self.stats.divergences, "new_findings": list(self.new_findings),
            "unique_findings": len(self.store.index),
            "unexplained": [rec["id"] for rec in self.store.unexplained()],
            "cells": len(totals.cells), "total_cases": totals.cases,
            "dut_sysctls": self.dut_sysctls, "oracle": self.oracle.record(),
            "barrier": self.barrier,
            "unavailable": [self.barrier_note] if self.barrier_note else [],
        }


def liveness_context(response: str, batch: list[dict[str, Any]]) -> Context | None:
    """What a hang or crash is matched with in the target's store: the last case run before
    it (rule ``liveness``, that case's state, its last frame as drawn and the frames before
    it, a stateful case's frames among its steps): the one in flight, else the batch's last.
    None for an empty batch or a case without frames."""
    if not batch:
        return None
    case = batch[-1]
    steps = [step["frame"] for step in case.get("steps", ()) if "frame" in step]
    frames = [bytes.fromhex(h) for h in steps or case["canonical"]]
    if not frames:
        return None
    return Context("liveness", case["state"], response, canonical=frames[-1],
                   earlier=tuple((f, ()) for f in frames[:-1]), constants=CANONICAL_CONSTANTS)
