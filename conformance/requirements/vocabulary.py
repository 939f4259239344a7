"""From a requirement to the oracle's rules behind it, and the check that the oracle speaks only
the catalogue's vocabulary.

A requirement's rules are the requirement itself when the oracle records its id, and the profile
refinements (``LINUX-...``) that refine it; each with the reference_stack functions that record
it (`conformance.requirements.rule_sources`, read with `ast`). ``results.json`` carries them per
requirement (``requirements[<id>].rules``) so that ``reports/`` only renders them.

    python -m conformance.requirements.vocabulary rules REQUIREMENT_ID...  # its rules
    python -m conformance.requirements.vocabulary check RESULTS.json...    # ids outside it: exit 1
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from conformance.requirements import catalogue, rule_sources
from conformance.requirements.catalogue import Vocabulary
from conformance.requirements.rule_sources import Site


def _sites(sites: Iterable[Site]) -> list[dict[str, str]]:
    return [site.to_dict() for site in sites]


def requirement_rules(vocab: Vocabulary,
                      index: dict[str, tuple[Site, ...]]) -> dict[str, list[dict[str, Any]]]:
    """Requirement id -> its rules, JSON-safe: ``{"id", "kind", "sites"}``, a refinement also
    with its ``profile``, ``function`` (the modelled stack's) and ``text``."""
    out: dict[str, list[dict[str, Any]]] = {rid: [] for rid in vocab.requirements}
    for rid in vocab.requirements:
        if rid in index:
            out[rid].append({"id": rid, "kind": "requirement", "sites": _sites(index[rid])})
    for ref in vocab.refinements.values():
        out[ref.refines].append({
            "id": ref.id, "kind": "refinement", "profile": ref.profile,
            "function": ref.function, "text": ref.text,
            "sites": _sites(index.get(ref.id, ())),
        })
    return out


def requirements_json(vocab: Vocabulary | None = None,
                      index: dict[str, tuple[Site, ...]] | None = None
                      ) -> dict[str, dict[str, Any]]:
    """The ``requirements`` of results.json: each catalogue entry with its rules."""
    vocab = vocab if vocab is not None else catalogue.load_vocabulary()
    rules = requirement_rules(vocab, index if index is not None else rule_sources.index())
    return {rid: {"rfc": req.rfc, "section": req.section, "level": req.level, "text": req.text,
                  "rules": rules[rid]}
            for rid, req in vocab.requirements.items()}


def recorded_in_results(results: dict[str, Any]) -> set[str]:
    """Every rule id a results document holds from the oracle: the lockstep decisions and the
    divergences of each test, and the rules of its findings."""
    ids: set[str] = set()
    for test in results.get("tests", []):
        ids.update(d["rule"] for d in test.get("oracle", []) if d.get("rule"))
        ids.update(d["rule"] for d in test.get("divergences", []) if d.get("rule"))
    for finding in results.get("findings", []):
        if finding.get("rule"):
            ids.add(finding["rule"])
    return ids


def outside(ids: Iterable[str], vocab: Vocabulary) -> list[str]:
    """The ids that are neither a catalogue requirement nor a refinement, sorted."""
    return sorted({rid for rid in ids if rid not in vocab})


def _show_rules(ids: list[str]) -> int:
    requirements = requirements_json()
    for rid in ids:
        entry = requirements.get(rid)
        if entry is None:
            print(f"{rid}: not a catalogue requirement", file=sys.stderr)
            return 2
        print(f"{rid} ({entry['rfc']} {entry['section']}, {entry['level']}): {entry['text']}")
        for rule in entry["rules"]:
            where = " ".join(f"{s['module']}:{s['function']}" for s in rule["sites"])
            kind = (f"{rule['profile']} refinement, models {rule['function']}"
                    if rule["kind"] == "refinement" else "the requirement itself")
            print(f"  {rule['id']}  [{kind}]  {where or '(recorded nowhere)'}")
        if not entry["rules"]:
            print("  (no oracle rule records it)")
    return 0


def _check(paths: list[str]) -> int:
    vocab = catalogue.load_vocabulary()
    bad = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                document = json.load(f)
        except (OSError, ValueError) as exc:
            print(f"{path}: not a readable results.json: {exc}", file=sys.stderr)
            return 2
        unknown = outside(recorded_in_results(document), vocab)
        for rid in unknown:
            print(f"{path}: {rid} is not in suites/requirements")
        bad += len(unknown)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) < 2 or args[0] not in ("rules", "check"):
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    return _show_rules(args[1:]) if args[0] == "rules" else _check(args[1:])


if __name__ == "__main__":
    sys.exit(main())
