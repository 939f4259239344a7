"""Building the ``lwip`` target's C shim (lwip_shim.c) with Debian's gcc, at first use
(conformance/targets/c_build.py: cached by a hash of the shim's source and of liblwip itself).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conformance.targets import c_build

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


def shim_path() -> Path:
    return c_build.output_path(SHIM_SOURCE, "libnclwip", ".so", [LWIP_LIBRARY])


def build_shim() -> Path:
    """The shim's shared object, built now if not cached (ShimBuildError on a failure)."""
    target = shim_path()
    if target.exists():
        return target
    missing = missing_pieces()
    if missing:
        raise ShimBuildError("cannot build the lwIP shim: missing " + "; ".join(missing))
    try:
        return c_build.build(SHIM_SOURCE, target,
                             ["-O2", "-Wall", "-shared", "-fPIC", f"-I{LWIP_INCLUDE}"],
                             ["-llwip", "-lpthread"])
    except c_build.BuildError as exc:
        raise ShimBuildError(str(exc)) from None
