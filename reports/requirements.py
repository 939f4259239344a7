"""Requirement ids: RFC, section, level and paraphrase, from the catalogue or from the id."""

from __future__ import annotations

import re
from dataclasses import dataclass

LEVELS: tuple[str, ...] = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
ID_PATTERN = re.compile(
    r"^RFC(?P<number>\d+)-(?P<section>[0-9A-Za-z.]+)-(?P<level>[A-Z]+(?:[_ ]?NOT)?)-(?P<slug>.+)$"
)


@dataclass(frozen=True)
class Rule:
    """An oracle rule behind a requirement: the requirement's own id when the oracle records
    it, or a profile's refinement of it; ``sites`` are the reference_stack functions recording
    it (``module:function``)."""

    id: str
    kind: str  # "requirement" or "refinement"
    sites: tuple[str, ...] = ()
    profile: str = ""  # a refinement's profile, e.g. "linux"
    function: str = ""  # a refinement's function in the modelled stack, e.g. "tcp_check_req"
    text: str = ""


@dataclass(frozen=True)
class Requirement:
    id: str
    rfc: str
    section: str
    level: str
    text: str
    rules: tuple[Rule, ...] = ()

    @property
    def sort_key(self) -> tuple:
        return (_rfc_number(self.rfc), _section_key(self.section), self.id)


def describe(req_id: str, catalogue: dict) -> Requirement:
    """The requirement for an id: catalogue fields first, parsed from the id where missing."""
    entry = catalogue.get(req_id) or {}
    parsed = ID_PATTERN.match(req_id)
    if parsed:
        rfc = f"RFC {parsed['number']}"
        section = parsed["section"]
        level = parsed["level"].replace("_", " ")
        level = level.replace("MUSTNOT", "MUST NOT").replace("SHOULDNOT", "SHOULD NOT")
    else:
        rfc, section, level = "unknown", "", ""
    return Requirement(
        id=req_id,
        rfc=str(entry.get("rfc") or rfc),
        section=str(entry.get("section") or section),
        level=str(entry.get("level") or level).upper(),
        text=str(entry.get("text") or ""),
        rules=tuple(_rule(rule) for rule in entry.get("rules") or ()),
    )


def _rule(entry: dict) -> Rule:
    return Rule(
        id=str(entry["id"]),
        kind=str(entry.get("kind") or "requirement"),
        sites=tuple(f"{site['module']}:{site['function']}" for site in entry.get("sites", ())),
        profile=str(entry.get("profile") or ""),
        function=str(entry.get("function") or ""),
        text=str(entry.get("text") or ""),
    )


def merged_catalogue(results: list[dict]) -> dict:
    """All catalogue entries of several documents (a later entry wins)."""
    catalogue: dict = {}
    for run in results:
        catalogue.update(run["requirements"])
    return catalogue


def _rfc_number(rfc: str) -> int:
    digits = re.sub(r"\D", "", rfc)
    return int(digits) if digits else 1 << 30


def _section_key(section: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in section.split("."))
