"""Links a report may contain: only ones that cannot run script, and that stay valid."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def rebase_pcaps(results: dict, source_dir: Path, out_dir: Path) -> None:
    """Make relative pcap paths (relative to source_dir) relative to out_dir, in place."""
    if source_dir.resolve() == out_dir.resolve():
        return
    for test in results["tests"]:
        pcap = test["pcap"]
        if pcap and safe_href(pcap) and not urlsplit(pcap).scheme and not pcap.startswith("/"):
            test["pcap"] = Path(os.path.relpath(source_dir.resolve() / pcap,
                                                out_dir.resolve())).as_posix()


def safe_href(value: object) -> str | None:
    """A link target that cannot run script: http(s) URLs and relative paths only."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if _CONTROL.search(text):
        return None
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc:
        return text
    if not parts.scheme and not parts.netloc and not text.startswith("//"):
        return text
    return None
