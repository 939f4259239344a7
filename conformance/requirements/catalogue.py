"""The requirement vocabulary: the catalogue and the profiles' refinements, ``suites/requirements``.

Each ``rfc<n>.toml`` lists requirements of one RFC::

    rfc = "RFC 9293"

    [[requirement]]
    id = "RFC9293-3.10.7.1-MUST-closed-rst-ack"
    section = "3.10.7.1"
    level = "MUST"          # MUST, MUST NOT, SHOULD, SHOULD NOT, MAY; the id spells it too
    text = "A segment arriving at a CLOSED port elicits a RST."

An id is ``RFC<n>-<section>-<LEVEL>-<slug>`` (``MUST-NOT``, ``SHOULD-NOT`` for the negative
levels); an RFC without numbered sections (768, 792, 826, 894) has no section in its ids. A
file of another standard has ``standard = "IEEE 802.3"`` and ids ``IEEE802.3-<section>-...``. Ids
are unique across files. Tests cite them with the ``requirement`` marker; coverage is computed
from those markers, never typed by hand. The oracle records the same ids in its decisions.

A profile file (``linux.toml``: ``profile = "linux"``) lists that profile's refinements, the
choices of a stack the oracle models where the RFCs leave latitude or where the stack departs
from them; the oracle records their ids, each naming the requirement it refines::

    [[refinement]]
    id = "LINUX-tcp_check_req-syn-reset"    # <PROFILE>-<function>[-<slug>]
    refines = "RFC9293-3.10.7.4-MUST-syn-received-syn"
    function = "tcp_check_req"               # the stack's function that makes the choice
    text = "A SYN in SYN-RECEIVED ... "

Every rule id the oracle records is in this vocabulary (tests/unit/conformance/test_vocabulary.py).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from reports.requirements import LEVELS, Requirement  # one definition, shared with the report

ID_RE = re.compile(
    r"^(?:RFC\d+|IEEE\d+(?:\.\d+[A-Za-z]*)?)(?:-(?P<section>[0-9A-Za-z.]+))?-(?P<level>MUST-NOT|SHOULD-NOT|MUST|SHOULD|MAY)-[a-z0-9-]+$")
REFINEMENT_RE = re.compile(r"^(?P<prefix>[A-Z][A-Z0-9]*)-[a-z_][a-z0-9_]*(?:-[a-z0-9_-]+)?$")
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "suites" / "requirements"


class CatalogueError(ValueError):
    """A catalogue file is malformed (one line saying where and what)."""


@dataclass(frozen=True)
class Refinement:
    """A profile's refinement of a catalogue requirement (a modelled choice of one stack)."""

    id: str
    profile: str
    refines: str
    function: str
    text: str


@dataclass(frozen=True)
class Vocabulary:
    """Every id the oracle may record: the catalogue's requirements and the refinements."""

    requirements: dict[str, Requirement]
    refinements: dict[str, Refinement]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.requirements or rule_id in self.refinements


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None


def _missing(entry: dict, keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if not isinstance(entry.get(k), str)]


def _requirements(path: Path, data: dict, id_re: re.Pattern[str] = ID_RE) -> list[Requirement]:
    rfc = data.get("rfc", data.get("standard"))  # standard: a non-RFC one, "IEEE 802.3"
    if not isinstance(rfc, str):
        raise CatalogueError(f"{path}: missing top-level rfc = \"RFC <n>\"")
    prefix = rfc.replace(" ", "")
    out = []
    for i, entry in enumerate(data.get("requirement", [])):
        where = f"{path}: requirement #{i + 1}"
        missing = _missing(entry, ("id", "section", "level", "text"))
        if missing:
            raise CatalogueError(f"{where}: missing {', '.join(missing)}")
        if entry["level"] not in LEVELS:
            raise CatalogueError(f"{where}: level {entry['level']!r} is not one of {LEVELS}")
        match = id_re.match(entry["id"])
        if not match:
            raise CatalogueError(
                f"{where}: id {entry['id']!r} is not RFC<n>-<section>-<LEVEL>-<slug>"
            )
        if match["level"].replace("-", " ") != entry["level"]:
            raise CatalogueError(
                f"{where}: id {entry['id']!r} says {match['level']}, level says {entry['level']}")
        if match["section"] is not None and match["section"] != entry["section"]:
            raise CatalogueError(
                f"{where}: id {entry['id']!r} says section {match['section']}, "
                f"section says {entry['section']}")
        if not entry["id"].startswith(f"{prefix}-"):
            raise CatalogueError(f"{where}: id {entry['id']!r} is not of {rfc}")
        out.append(Requirement(entry["id"], rfc, entry["section"], entry["level"], entry["text"]))
    return out


def _refinements(path: Path, data: dict) -> list[Refinement]:
    profile = data["profile"]
    if not isinstance(profile, str) or not profile:
        raise CatalogueError(f"{path}: profile must be a profile's name, e.g. \"linux\"")
    out = []
    for i, entry in enumerate(data.get("refinement", [])):
        where = f"{path}: refinement #{i + 1}"
        missing = _missing(entry, ("id", "refines", "function", "text"))
        if missing:
            raise CatalogueError(f"{where}: missing {', '.join(missing)}")
        match = REFINEMENT_RE.match(entry["id"])
        if not match or match["prefix"] != profile.upper():
            raise CatalogueError(
                f"{where}: id {entry['id']!r} is not {profile.upper()}-<function>[-<slug>]")
        out.append(Refinement(entry["id"], profile, entry["refines"], entry["function"],
                              entry["text"]))
    return out


def load_vocabulary(directory: Path | str | None = None) -> Vocabulary:
    """The catalogue and the refinements of every profile file, validated together: ids unique
    across files, and every refinement refines a catalogue requirement."""
    directory = Path(directory or os.environ.get("NETCONFORM_REQUIREMENTS", DEFAULT_DIR))
    requirements: dict[str, Requirement] = {}
    refinements: dict[str, Refinement] = {}
    for path in sorted(directory.glob("*.toml")):
        data = _read(path)
        entries = (_refinements(path, data) if "profile" in data
                   else _requirements(path, data))
        for entry in entries:
            if entry.id in requirements or entry.id in refinements:
                raise CatalogueError(f"{path}: duplicate id {entry.id}")
            if isinstance(entry, Refinement):
                refinements[entry.id] = entry
            else:
                requirements[entry.id] = entry
    for ref in refinements.values():
        if ref.refines not in requirements:
            raise CatalogueError(
                f"{directory}/{ref.profile}.toml: {ref.id} refines {ref.refines!r}, "
                "which is not in the catalogue")
    return Vocabulary(requirements, refinements)


def load(directory: Path | str | None = None) -> dict[str, Requirement]:
    """The catalogue's requirements by id (the profile files validated too)."""
    return load_vocabulary(directory).requirements


# A user's catalogue (``--requirements DIR``) may name its own standard: ids are
# <STANDARD>[-<section>]-<LEVEL>-<slug>, the standard's name without spaces as the prefix.
USER_ID_RE = re.compile(
    r"^[A-Za-z][A-Za-z0-9.]*(?:-(?P<section>[0-9A-Za-z.]+))?-(?P<level>MUST-NOT|SHOULD-NOT|MUST|"
    r"SHOULD|MAY)-[a-z0-9-]+$")


def load_with_user(user_dirs: list[str]) -> dict[str, Requirement]:
    """The built-in catalogue plus the requirements of each user's folder of ``*.toml`` files
    (``rfc = "RFC 9293"`` or ``standard = "MYLAB"`` at the top, ``[[requirement]]`` entries as
    in suites/requirements/); an id given twice is an error naming both places."""
    merged = dict(load())
    for folder in user_dirs:
        directory = Path(folder)
        if not directory.is_dir():
            raise CatalogueError(f"--requirements {folder}: not a folder")
        for path in sorted(directory.glob("*.toml")):
            for entry in _requirements(path, _read(path), USER_ID_RE):
                if entry.id in merged:
                    raise CatalogueError(f"{path}: {entry.id} is already in the catalogue")
                merged[entry.id] = entry
    return merged
