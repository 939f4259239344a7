"""What a run could not do, in one line each: shown at the top of the report (a banner) and
printed by the CLI after a run, from the same results documents.

- a run that stopped early (``complete: false``, with ``incomplete_reason``): its counts cover
  only the tests that ran;
- evidence that was unavailable (``environment.drop_reasons`` other than "available", e.g. a
  rootless run without tracefs) and anything else the run lists in ``environment.unavailable``.
"""

from __future__ import annotations


def limits(run: dict) -> list[str]:
    """One line per limit of one results document (empty for a complete, fully evidenced run)."""
    out = []
    if run.get("complete") is False:
        reason = run.get("incomplete_reason") or "no reason recorded"
        out.append(f"incomplete run ({reason}): the counts cover only the tests that ran")
    env = run.get("environment") or {}
    drops = env.get("drop_reasons")
    if isinstance(drops, str) and drops != "available":
        out.append(drop_reasons_note(drops))
    out += [str(item) for item in env.get("unavailable") or [] if item not in out]
    return out


def drop_reasons_note(why: str) -> str:
    return f"kernel drop reasons unavailable: {why}"


def banners(runs: list[dict]) -> list[str]:
    """Every limit of every labelled document, prefixed with its column's label."""
    return [f"{run.get('label') or run.get('target')}: {line}"
            for run in runs for line in limits(run)]
