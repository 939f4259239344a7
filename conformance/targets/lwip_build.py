"""Building the ``lwip`` target's C shim (lwip_shim.c) with Debian's gcc, at first use.

The shared object goes to a cache directory (``$XDG_CACHE_HOME/netconform``, else
``~/.cache/netconform``), named by a hash of the shim's source and of liblwip itself, so a new
shim or a new liblwip gets a fresh build and nothing binary is ever in the source tree. The
build is written to a temporary name and renamed, so concurrent workers never load half a file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SHIM_SOURCE = Path(__file__).with_name("lwip_shim.c")
LWIP_INCLUDE = Path("/usr/include/lwip")
LWIP_LIBRARY = Path("/usr/lib/x86_64-linux-gnu/liblwip.so.0")
LWIP_DEV_LIBRARY = Path("/usr/lib/x86_64-linux-gnu/liblwip.so")


class ShimBuildError(RuntimeError):
    pass


def missing_pieces() -> list[str]:
    """What the shim's build or run needs and this machine lacks (Debian package names)."""
    missing = []
    if not LWIP_LIBRARY.exists():
        missing.append("liblwip0 (no /usr/lib/x86_64-linux-gnu/liblwip.so.0)")
    if not (LWIP_INCLUDE / "lwipopts.h").exists() or not LWIP_DEV_LIBRARY.exists():
        missing.append("liblwip-dev (no /usr/include/lwip/lwipopts.h or liblwip.so)")
    if shutil.which("gcc") is None:
        missing.append("gcc (no gcc on PATH)")
    return missing


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netconform"


def shim_path() -> Path:
    digest = hashlib.sha256(SHIM_SOURCE.read_bytes())
    digest.update(LWIP_LIBRARY.resolve().read_bytes())
    return cache_dir() / f"libnclwip-{digest.hexdigest()[:16]}.so"


def build_shim() -> Path:
    """The shim's shared object, built now if not cached (ShimBuildError on a failure)."""
    target = shim_path()
    if target.exists():
        return target
    missing = missing_pieces()
    if missing:
        raise ShimBuildError("cannot build the lwIP shim: missing " + "; ".join(missing))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".libnclwip-", suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        result = subprocess.run(
            ["gcc", "-O2", "-Wall", "-shared", "-fPIC", f"-I{LWIP_INCLUDE}", "-o", tmp,
             str(SHIM_SOURCE), "-llwip", "-lpthread"],
            capture_output=True, text=True, check=False, timeout=120,
        )
        if result.returncode != 0:
            raise ShimBuildError(f"gcc failed building {SHIM_SOURCE.name}: "
                                 f"{(result.stderr or result.stdout).strip()[:800]}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
