"""The requirement catalogue: ``suites/requirements/*.toml``.

Each file lists requirements of one RFC::

    [[requirement]]
    id = "RFC9293-3.10.7.1-MUST-rst-closed"
    section = "3.10.7.1"
    level = "MUST"          # MUST, MUST NOT, SHOULD, SHOULD NOT, MAY
    text = "A segment arriving at a CLOSED port elicits a RST."

with a top-level ``rfc = "RFC 9293"``. Ids are unique across files. Tests cite them with the
``requirement`` marker; coverage is computed from those markers, never typed by hand.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from reports.requirements import LEVELS, Requirement  # one definition, shared with the report

ID_RE = re.compile(r"^RFC\d+-[0-9A-Za-z.]+-(MUST|MUSTNOT|SHOULD|SHOULDNOT|MAY)-[a-z0-9-]+$")
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "suites" / "requirements"


class CatalogueError(ValueError):
    """A catalogue file is malformed (one line saying where and what)."""


def load_file(path: Path) -> list[Requirement]:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None
    rfc = data.get("rfc")
    if not isinstance(rfc, str):
        raise CatalogueError(f"{path}: missing top-level rfc = \"RFC <n>\"")
    out = []
    for i, entry in enumerate(data.get("requirement", [])):
        where = f"{path}: requirement #{i + 1}"
        missing = [k for k in ("id", "section", "level", "text")
                   if not isinstance(entry.get(k), str)]
        if missing:
            raise CatalogueError(f"{where}: missing {', '.join(missing)}")
        if entry["level"] not in LEVELS:
            raise CatalogueError(f"{where}: level {entry['level']!r} is not one of {LEVELS}")
        if not ID_RE.match(entry["id"]):
            raise CatalogueError(
                f"{where}: id {entry['id']!r} is not RFC<n>-<section>-<LEVEL>-<slug>"
            )
        out.append(Requirement(entry["id"], rfc, entry["section"], entry["level"], entry["text"]))
    return out


def load(directory: Path | str | None = None) -> dict[str, Requirement]:
    directory = Path(directory or os.environ.get("NETCONFORM_REQUIREMENTS", DEFAULT_DIR))
    catalogue: dict[str, Requirement] = {}
    for path in sorted(directory.glob("*.toml")):
        for req in load_file(path):
            if req.id in catalogue:
                raise CatalogueError(f"{path}: duplicate requirement id {req.id}")
            catalogue[req.id] = req
    return catalogue
