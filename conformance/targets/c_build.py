"""Building a target's C piece with Debian's gcc, at first use: the ``lwip`` target's shim
(lwip_build.py) and the ``gvisor`` target's agent (gvisor.py).

The output goes to a cache directory (``$XDG_CACHE_HOME/netconform``, else
``~/.cache/netconform``), named by a hash of its source and of what it is built against, so a
new source or a new library gets a fresh build and nothing binary is ever in the source tree.
The build is written to a temporary name and renamed, so concurrent workers never load or run
half a file.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path


class BuildError(RuntimeError):
    pass


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netconform"


def output_path(source: Path, name: str, suffix: str, inputs: Sequence[Path] = ()) -> Path:
    """Where the build of ``source`` (and of ``inputs``, files it is built against) goes."""
    digest = hashlib.sha256(source.read_bytes())
    for path in inputs:
        digest.update(path.resolve().read_bytes())
    return cache_dir() / f"{name}-{digest.hexdigest()[:16]}{suffix}"


def build(source: Path, target: Path, options: Sequence[str],
          libraries: Sequence[str] = ()) -> Path:
    """``target`` (output_path), built now with ``gcc OPTIONS -o TARGET SOURCE LIBRARIES`` if
    not there yet (BuildError on a failure, with gcc's own words)."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix,
                               dir=target.parent)
    os.close(fd)
    try:
        result = subprocess.run(["gcc", *options, "-o", tmp, str(source), *libraries],
                                capture_output=True, text=True, check=False, timeout=120)
        if result.returncode != 0:
            raise BuildError(f"gcc failed building {source.name}: "
                             f"{(result.stderr or result.stdout).strip()[:800]}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
