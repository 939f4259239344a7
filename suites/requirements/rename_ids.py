"""Rewrite renamed requirement ids (``renames/*.toml``: ``[[renamed]] old = ... new = ...``).

    python suites/requirements/rename_ids.py PATH... [--check]

Replaces every old id by its new one in the .py, .toml and .md files under the paths (markers,
expectations, reasons, docs), except the rename tables themselves; ``--check`` only lists the
files that still cite an old id (exit 1 if any). For merging a branch written before a rename.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUFFIXES = (".py", ".toml", ".md")


def renames(directory: Path = HERE / "renames") -> dict[str, str]:
    table: dict[str, str] = {}
    for path in sorted(directory.glob("*.toml")):
        with open(path, "rb") as f:
            for entry in tomllib.load(f).get("renamed", []):
                table[entry["old"]] = entry["new"]
    return table


def pattern(table: dict[str, str]) -> re.Pattern[str]:
    """The old ids, longest first, not followed by more of an id."""
    alternatives = "|".join(re.escape(old) for old in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9-])(?:{alternatives})(?![A-Za-z0-9-])")


def rewrite(text: str, table: dict[str, str], compiled: re.Pattern[str]) -> str:
    return compiled.sub(lambda m: table[m.group(0)], text)


def files(paths: list[str]) -> list[Path]:
    out = []
    for name in paths:
        path = Path(name)
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        out += [p for p in candidates if p.suffix in SUFFIXES and p.is_file()
                and (HERE / "renames") not in p.resolve().parents]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--check", action="store_true", help="only list files citing old ids")
    args = parser.parse_args(argv)
    table = renames()
    compiled = pattern(table)
    stale = 0
    for path in files(args.paths):
        text = path.read_text(encoding="utf-8")
        new = rewrite(text, table, compiled)
        if new != text:
            stale += 1
            print(f"{path}: {'cites old ids' if args.check else 'rewritten'}")
            if not args.check:
                path.write_text(new, encoding="utf-8")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
