"""docs/conformance.md from runs: each target's conformance by RFC and requirement level, and
the non-conformances its expectations record, each with its reproducer.

    python -m reports.conformance_doc linux/results.json gvisor/results.json ... \\
        [--out docs/conformance.md]

A non-conformance is an analysed difference whose reason opens with ``NON-CONFORMANCE`` (the
convention of ``suites/expectations/<target>.toml``): the reason of an expected failure
(``xfailed`` test's ``xfail_reason``, or an intermittent entry's that passed this time: the
race it depends on went the other way) or of a divergence an analysed entry explained. Reasons
that open with the same requirement id are one non-conformance (the first reason met describes
it), reproduced by each of their tests (``netconform run --target T --suite <test id>``). One
that names a MUST or SHOULD (NOT) requirement is a violation; one naming only MAY requirements
is listed apart as a deviation from an option. The document is generated, never edited by
hand (DESIGN.md: docs/). Each run's commit comes from its results.json (``checkout``).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reports.model import checkout_label, load_results
from reports.outcomes import COVERING, cell_state, intermittent_pass, verdict
from reports.requirements import describe, merged_catalogue

MARK = "NON-CONFORMANCE"
LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
BINDING = frozenset(LEVELS[:4])
ORDER = ("linux", "vm", "gvisor", "lwip", "pytcp")  # the matrix's columns, others after
# The stack under test, as each target's environment in results.json names it (every run also
# records the host's kernel, which is the stack only for linux; vm's is the VM's).
STACK_KEYS = {"linux": ("kernel", "Linux {}"), "vm": ("kernel", "Linux {} under qemu"),
              "gvisor": ("runsc", "gVisor runsc {}"), "lwip": ("lwip", "lwIP {}"),
              "pytcp": ("pytcp", "pytcp {}")}
REQ_ID = re.compile(r"\b((?:RFC|IEEE)[0-9.]+-[0-9A-Za-z.]*-?(?:MUST|SHOULD|MAY)[A-Za-z0-9_.-]*)")


@dataclass
class NonConformance:
    target: str
    reason: str
    requirements: tuple[str, ...]
    tests: list[str] = field(default_factory=list)
    intermittent: str | None = None  # an intermittent entry's rate and why (timing-dependent)


def non_conformances(run: dict) -> list[NonConformance]:
    """The distinct non-conformances of one run (one per requirement first named), in the
    order first met."""
    found: dict[str, NonConformance] = {}
    for test in run["tests"]:
        reasons = []
        if test.get("xfail_reason") and (test["outcome"] == "xfailed"
                                         or intermittent_pass(test)):
            reasons.append(test["xfail_reason"])
        reasons += [d["reason"] for d in test.get("divergences") or () if d.get("reason")]
        for reason in reasons:
            text = " ".join(reason.split())
            if not text.startswith(MARK):
                continue
            reqs = tuple(REQ_ID.findall(text[len(MARK):].split(":", 1)[0]))
            key = reqs[0] if reqs else text
            entry = found.get(key)
            if entry is None:
                entry = found[key] = NonConformance(run["target"], text, reqs)
            if test["id"] not in entry.tests:
                entry.tests.append(test["id"])
            if test.get("xfail_intermittent") and reason == test.get("xfail_reason"):
                entry.intermittent = entry.intermittent or test["xfail_intermittent"]
    return list(found.values())


def violations(found: list[NonConformance], catalogue: dict
               ) -> tuple[list[NonConformance], list[NonConformance]]:
    """(those naming a MUST or SHOULD requirement, those naming only MAY ones)."""
    binding = [nc for nc in found
               if any(describe(r, catalogue).level in BINDING for r in nc.requirements)]
    return binding, [nc for nc in found if nc not in binding]


def by_rfc_and_level(run: dict, catalogue: dict) -> dict[tuple[str, str], dict[str, int]]:
    """(RFC, level) -> counts of requirements by matrix cell state on this run."""
    outcomes: dict[str, list[str]] = {}
    for test in run["tests"]:
        for req in test.get("requirements") or ():
            outcomes.setdefault(req, []).append(verdict(test))
    table: dict[tuple[str, str], dict[str, int]] = {}
    for req, seen in outcomes.items():
        if not set(seen) & COVERING:
            continue
        r = describe(req, catalogue)
        cell = table.setdefault((r.rfc, r.level), {})
        state = cell_state(seen)
        cell[state] = cell.get(state, 0) + 1
    return table


def render(runs: list[dict]) -> str:
    runs = sorted(runs, key=lambda r: (ORDER.index(r["target"]) if r["target"] in ORDER
                                       else len(ORDER), r["target"]))
    catalogue = merged_catalogue(runs)
    targets = [r["target"] for r in runs]
    out = ["# Conformance of the targets", "",
           "Generated by `python -m reports.conformance_doc` from the runs below; do not edit.",
           "A cell counts the requirements the target's tests covered: passed / covered "
           "(expected failures in brackets, unexpected failures marked `!`). A run's commit is "
           "the checkout it ran from (`+dirty`: with uncommitted changes).", "",
           "## Runs", "", "| target | stack | commit | started | tests | passed | failed "
           "| xfailed | skipped | error | non-conformances |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    found = {r["target"]: violations(non_conformances(r), catalogue) for r in runs}
    for r in runs:
        s = r["summary"]
        out.append(f"| {r['target']} | {_escape(stack_under_test(r))} | "
                   f"{checkout_label(r.get('checkout'))} | {r.get('started', '')} | "
                   f"{len(r['tests'])} | "
                   f"{s.get('passed', 0)} | {s.get('failed', 0)} | {s.get('xfailed', 0)} | "
                   f"{s.get('skipped', 0)} | {s.get('error', 0)} | {len(found[r['target']][0])} |")
    tables = {r["target"]: by_rfc_and_level(r, catalogue) for r in runs}
    keys = sorted({k for t in tables.values() for k in t},
                  key=lambda k: (_rfc_key(k[0]), LEVELS.index(k[1]) if k[1] in LEVELS else 9))
    out += ["", "## By RFC and requirement level", "",
            "| RFC | level | " + " | ".join(targets) + " |",
            "|---|---|" + "---|" * len(targets)]
    for key in keys:
        cells = [_cell(tables[t].get(key, {})) for t in targets]
        out.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")
    out += ["", "## Non-conformances", "",
            "Each names the requirement it breaks (MUST or SHOULD), what the stack does and "
            "where in its source, and the tests that reproduce it.", ""]
    for r in runs:
        binding, optional = found[r["target"]]
        out += [f"### {r['target']} ({len(binding)})", ""]
        if not binding:
            out += ["None recorded in this run.", ""]
        out += _items(r["target"], binding, catalogue)
        if optional:
            out += [f"Deviations from a MAY (not violations) on {r['target']}:", ""]
            out += _items(r["target"], optional, catalogue)
    return "\n".join(out).rstrip() + "\n"


def stack_under_test(run: dict) -> str:
    """What the run tested: the userspace stack's version, or the kernel's release (the VM's
    for vm, with a note when the oracle judged it as 6.18: its series' choices not modelled,
    conformance/targets/vm_profile.py)."""
    env = run.get("environment") or {}
    key, form = STACK_KEYS.get(run["target"], ("", ""))
    if not env.get(key):
        return ""
    text = form.format(env[key])
    if env.get("kernel_choices_modelled") is False:
        text += " (judged as 6.18: its series is not modelled)"
    return text


def _items(target: str, items: list[NonConformance], catalogue: dict) -> list[str]:
    out = []
    for i, nc in enumerate(items, 1):
        out.append(f"{i}. **{', '.join(nc.requirements) or 'requirement'}**"
                   f"{_levels(nc.requirements, catalogue)}: "
                   f"{_escape(nc.reason[len(MARK):].split(':', 1)[-1].strip())}")
        for req in nc.requirements[:1]:
            text = describe(req, catalogue).text
            if text:
                out.append(f"   - requirement: {_escape(text)}")
        shown = nc.tests[:3]
        out.append("   - reproducer: " + ", ".join(
            f"`netconform run --target {target} --suite '{t}'`" for t in shown)
            + (f" (and {len(nc.tests) - 3} more tests)" if len(nc.tests) > 3 else ""))
        if nc.intermittent:
            out.append(f"   - intermittent (the reproducer shows it only sometimes): "
                       f"{_escape(nc.intermittent)}")
    out.append("")
    return out
    return "\n".join(out).rstrip() + "\n"


def _cell(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    covered = sum(counts.values())
    text = f"{counts.get('passed', 0)}/{covered}"
    if counts.get("xfail"):
        text += f" ({counts['xfail']})"
    if counts.get("failed"):
        text += f" {counts['failed']}!"
    return text


def _levels(reqs: Iterable[str], catalogue: dict) -> str:
    levels = sorted({describe(r, catalogue).level for r in reqs} - {""})
    return f" ({', '.join(levels)})" if levels else ""


def _rfc_key(rfc: str) -> tuple[int, str]:
    digits = re.sub(r"\D", "", rfc.split()[-1] if rfc else "")
    return (int(digits) if digits and rfc.startswith("RFC") else 1 << 30, rfc)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reports.conformance_doc", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="+", help="results.json of a run (one a target)")
    ap.add_argument("--out", default="docs/conformance.md")
    args = ap.parse_args(argv)
    runs = [load_results(p) for p in args.results]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(render(runs))
    catalogue = merged_catalogue(runs)
    for r in runs:
        binding, optional = violations(non_conformances(r), catalogue)
        print(f"{r['target']}: {len(binding)} non-conformances ({len(optional)} more at MAY level)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
