"""Command functions behind ``netconform fuzz`` and ``netconform replay`` (fuzz.cli registers
them): exit 0 when no unexplained divergence, 1 otherwise, 2 for bad input (one
``netconform: error: ...`` line on stderr)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conformance.fabric import reaper
from conformance.judge import store
from conformance.judge.expectations import ExpectationsError
from conformance.targets import UnknownTarget, target_class, target_names
from fuzz.findings import FINDINGS_INDEX
from fuzz.replay import replay_finding
from fuzz.runner import Campaign
from fuzz.targets import build_target

ENGINES = ("hypothesis", "boofuzz", "stateful", "esp")
FAMILIES = ("ipv4", "ipv6")
# The engines that fuzz over IPv6 (--family ipv6).
IPV6_ENGINES = ("hypothesis", "boofuzz", "stateful")
SUMMARY_FILE = "fuzz-summary.json"


class BadInput(ValueError):
    """A usage or environment error (exit code 2)."""


def _error(message: str) -> int:
    print(f"netconform: error: {message}", file=sys.stderr)
    return 2


def _check(target: str, engine: str, budget_s: float, out_dir: str,
           family: str = "ipv4") -> None:
    if family not in FAMILIES:
        raise BadInput(f"unknown family {family!r} (known: {', '.join(FAMILIES)})")
    if family == "ipv6" and engine not in IPV6_ENGINES:
        raise BadInput(f"--family ipv6 is not available with the {engine} engine yet "
                       f"(engines over IPv6: {', '.join(IPV6_ENGINES)})")
    if target not in target_names():
        raise BadInput(f"unknown target {target!r} (known: {', '.join(target_names())})")
    if engine not in ENGINES:
        raise BadInput(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    if not budget_s > 0:
        raise BadInput(f"--budget must be a positive number of seconds, not {budget_s}")
    if engine == "esp" and family != "ipv4":
        raise BadInput("the esp engine draws IPv4 and IPv6 cases itself: no --family")
    cls = target_class(target)
    reason = cls.unavailable_reason()
    if reason is not None:
        raise BadInput(f"target {target} is not available here: {reason}")
    try:  # the store that explains findings: a malformed file is one line, exit 2
        store.load(cls.expectations_file(), None, cls.analyses_module)
    except ExpectationsError as exc:
        raise BadInput(str(exc)) from None
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out_dir}: exists and is not a directory")
    if engine == "boofuzz":
        try:
            import boofuzz  # noqa: F401
        except ImportError:
            raise BadInput(
                "the boofuzz engine needs boofuzz: pip install 'netconform[fuzz]'") from None


def fuzz_command(target: str, engine: str, budget_s: float, seed: int, out_dir: str,
                 web_ui: bool = False, dut_sysctls: dict[str, str] | None = None,
                 family: str = "ipv4") -> int:
    """Run a differential fuzz campaign; findings under ``out_dir/findings/``, their index in
    ``out_dir/findings.json``, the summary in ``out_dir/fuzz-summary.json``."""
    try:
        _check(target, engine, budget_s, out_dir, family)
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    except (BadInput, UnknownTarget) as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"--out {out_dir}: {exc.strerror}")
    if target_class(target).needs_privileges:
        reaper.reap()
    tgt = build_target(target, dut_sysctls=dut_sysctls)
    tgt.start()
    if engine == "esp" and not tgt.capabilities.has_esp:
        tgt.stop()
        return _error(f"target {target} has no ESP transforms (capabilities.has_esp is False)")
    try:
        campaign = Campaign(tgt, out_dir, seed, budget_s, engine, family=family)
        if engine == "hypothesis":
            from fuzz.hypothesis_engine import run_hypothesis

            run_hypothesis(campaign, family=family)
        elif engine == "esp":
            from fuzz.esp_engine import run_esp

            run_esp(campaign)
        elif engine == "stateful":
            from fuzz.stateful import run_stateful

            run_stateful(campaign)
        else:
            from fuzz.boofuzz_engine import run_boofuzz

            run_boofuzz(campaign, web_ui=web_ui, family=family)
        summary = campaign.finish()
    finally:
        tgt.stop()
    with open(Path(out_dir) / SUMMARY_FILE, "w") as f:
        json.dump(summary, f, indent=1)
    print(_summary_text(summary))
    return 1 if summary["unexplained"] else 0


def _summary_text(summary: dict) -> str:
    lines = [f"fuzz {summary['engine']} against {summary['target']}: {summary['cases']} cases "
             f"in {summary['seconds']:.1f} s ({summary['cases_per_s']:.0f}/s), "
             f"{summary['divergences']} divergences, {summary['unique_findings']} unique "
             f"findings ({len(summary['new_findings'])} new), {summary['cells']} cells"]
    if summary["unexplained"]:
        lines.append("unexplained findings: " + ", ".join(summary["unexplained"]))
    return "\n".join(lines)


def replay_command(finding_dir: str) -> int:
    """Replay one finding against the target it came from: 0 when the target no longer
    diverges, 1 when it still does, 2 when ``finding_dir`` is not a finding."""
    path = Path(finding_dir)
    if not (path / "finding.json").is_file():
        return _error(f"{finding_dir}: not a finding directory (no finding.json)")
    result = replay_finding(path)
    print(result.explain())
    return 1 if result.mismatches else 0


def findings_of(out_dir: str) -> list[dict]:
    """The JSON-safe findings a campaign wrote (for ``results.json``'s ``findings`` key)."""
    path = Path(out_dir) / FINDINGS_INDEX
    if not path.exists():
        return []
    with open(path) as f:
        return json.load(f)
