"""The ``vm`` target's initramfs: busybox, the kernel's modules the harness needs, and an init
that checks the kernel, mounts the host's root file system read-only over 9p and starts the DUT
agent there (the host's Python, this checkout) on the virtio-serial control port.

The archive (cpio "newc", written here: no cpio tool needed) is cached under
``vm_kernel.CACHE_ROOT`` by a hash of its contents, so each kernel gets one build. The init says
what it lacks on the console as ``NC-MISSING: CONFIG_... (what for)`` lines and powers off; the
target turns them into one line naming the options (exit 2).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from conformance.targets.vm_kernel import (
    CACHE_ROOT,
    MODULE_PARAMS,
    REQUIRED,
    Kernel,
    modules_to_load,
    norm,
)

BUSYBOX = Path("/bin/busybox")
AGENT_PORT = "nc.agent"  # the virtserialport's name
HOST_ROOT_TAG = "hostroot"  # the 9p share's mount tag
MISSING_MARK = "NC-MISSING:"
AGENT_EXIT_MARK = "NC-AGENT-EXIT:"

# How the init finds out the kernel has a feature (after loading the modules): (config option,
# what for, shell test). Kept next to REQUIRED, whose options it checks at run time.
CHECKS: dict[str, str] = {
    "CONFIG_VIRTIO_PCI": "[ -d /sys/bus/pci/drivers/virtio-pci ]",
    "CONFIG_VIRTIO_NET": "[ -d /sys/bus/virtio/drivers/virtio_net ]",
    "CONFIG_VIRTIO_CONSOLE": "[ -d /sys/class/virtio-ports ]",
    "CONFIG_NET_9P_VIRTIO": "[ -d /sys/bus/virtio/drivers/9pnet_virtio ]",
    "CONFIG_9P_FS": "$B grep -q 9p /proc/filesystems",
    "CONFIG_NET_NS": "[ -e /proc/self/ns/net ]",
}

INIT = r"""#!/bin/busybox sh
# netconform's VM init (conformance/targets/vm_initramfs.py). Kernel command line variables:
# ncpy (the host's Python), ncroot (the checkout), nccwd.
B=/bin/busybox
$B mount -t devtmpfs dev /dev
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
while read m params; do
    $B insmod /lib/modules/$m $params 2>/dev/null ||
        echo "netconform init: insmod $m failed" >/dev/ttyS0
done </modules.order
missing=""
@CHECKS@
if [ -n "$missing" ]; then
    echo "@MISSING@$missing" >/dev/ttyS0
    $B poweroff -f
fi
R=/newroot
$B mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 @TAG@ $R || {
    echo "@MISSING@ (mounting the host's root over 9p failed)" >/dev/ttyS0; $B poweroff -f; }
# The checkout kept in sight: one under /tmp or /run (a CI clone) would be hidden by the
# tmpfs mounted there below; it is bound in again over it.
$B mkdir -p /checkout
$B mount -o bind "$R$ncroot" /checkout
$B mount -t proc proc $R/proc
$B mount -t sysfs sys $R/sys
$B mount -t devtmpfs dev $R/dev
$B mount -t tmpfs run $R/run
$B mount -t tmpfs tmp $R/tmp
if [ ! -d "$R$ncroot/conformance" ]; then
    $B mkdir -p "$R$ncroot" && $B mount -o bind /checkout "$R$ncroot"
fi
$B mount -t tracefs nodev $R/sys/kernel/tracing 2>/dev/null
$B mount -t debugfs nodev $R/sys/kernel/debug 2>/dev/null
port=""
for p in /sys/class/virtio-ports/*; do
    [ "$($B cat $p/name 2>/dev/null)" = "@PORT@" ] && port=/dev/${p##*/}
done
$B ip link set lo up 2>/dev/null
cd /
$B chroot $R /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin PYTHONPATH="$ncroot" \
    PYTHONDONTWRITEBYTECODE=1 HOME=/tmp "$ncpy" -B -m conformance.targets.vm_agent --port "$port" \
    </dev/null >/dev/ttyS0 2>&1
echo "@EXIT@ $?" >/dev/ttyS0
$B poweroff -f
"""


def missing_options(line: str) -> str:
    """The options an init's ``NC-MISSING:`` console line names, as one readable list."""
    found = re.findall(r"CONFIG_\w+ \([^)]*\)", line)
    return ", ".join(found) or line[len(MISSING_MARK):].strip()


def init_script() -> str:
    checks = "\n".join(
        f'{test} || missing="$missing {option} ({what})"'
        for option, what, test in _checks())
    return (INIT.replace("@CHECKS@", checks).replace("@MISSING@", MISSING_MARK)
            .replace("@EXIT@", AGENT_EXIT_MARK).replace("@TAG@", HOST_ROOT_TAG)
            .replace("@PORT@", AGENT_PORT))


def _checks() -> list[tuple[str, str, str]]:
    what = {option: why for _, option, why in REQUIRED}
    what.setdefault("CONFIG_NET_NS", "a fresh network namespace per test")
    return [(option, what.get(option, ""), test) for option, test in CHECKS.items()]


# -- cpio "newc" ------------------------------------------------------------------------------


def _cpio_entry(name: str, mode: int, data: bytes, ino: int) -> bytes:
    fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0)
    header = b"070701" + b"".join(f"{v:08x}".encode() for v in fields)
    out = header + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def cpio(entries: list[tuple[str, int, bytes]]) -> bytes:
    """A newc archive of (path, mode, contents); directories have mode 0o040755 and no data."""
    body = b"".join(_cpio_entry(name, mode, data, i + 1)
                    for i, (name, mode, data) in enumerate(entries))
    return body + _cpio_entry("TRAILER!!!", 0, b"", 0)


def archive_entries(kernel: Kernel) -> list[tuple[str, int, bytes]]:
    modules = modules_to_load(kernel)
    entries: list[tuple[str, int, bytes]] = [
        (d, 0o040755, b"") for d in ("bin", "dev", "proc", "sys", "newroot", "lib",
                                     "lib/modules")]
    entries.append(("bin/busybox", 0o100755, BUSYBOX.read_bytes()))
    entries.append(("bin/sh", 0o100755, BUSYBOX.read_bytes()))
    entries.append(("init", 0o100755, init_script().encode()))
    entries.append(("modules.order", 0o100644, "".join(
        f"{m.name} {MODULE_PARAMS.get(norm(m.name[:-3]), '')}\n" for m in modules).encode()))
    entries.extend((f"lib/modules/{m.name}", 0o100644, m.read_bytes()) for m in modules)
    return entries


def build(kernel: Kernel) -> Path:
    """The initramfs for ``kernel`` (cached by content; written atomically)."""
    data = cpio(archive_entries(kernel))
    path = CACHE_ROOT / f"initramfs-{hashlib.sha256(data).hexdigest()[:16]}.cpio"
    if not path.exists():
        CACHE_ROOT.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path


def busybox_missing() -> str | None:
    if not BUSYBOX.exists() or shutil.which("busybox") is None:
        return "busybox-static (no /bin/busybox)"
    return None
