"""The ``vm`` target's kernel: which image boots, how qemu gets it, and which modules go with it.

Default: Debian's ``linux-image-amd64`` as ``.ci/install-system-deps`` unpacks it (without
installing it: the host's own kernel, /boot and boot loader are left alone) under
:data:`DEFAULT_ROOT` (``boot/vmlinuz-<version>`` and ``lib/modules/<version>/``). A user's
build comes as ``--kernel PATH`` (a bzImage or an uncompressed ``vmlinux``) and ``--modules DIR``
(the ``lib/modules/<version>`` folder ``make modules_install`` writes; optional for a kernel
with everything built in).

Under TCG, qemu boots an uncompressed ELF ``vmlinux`` through its PVH entry point a few seconds
faster than a bzImage (whose decompressor runs emulated), so a bzImage's payload is
decompressed once here (gzip, xz, lzma or bzip2: what Python's standard library reads) into a
cache named by the image's hash.

A required kernel feature is present when it is built in (``modules.builtin``) or its module is
in the modules folder; what is missing is named in one line (:class:`KernelError`).
"""

from __future__ import annotations

import bz2
import glob
import hashlib
import lzma
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path("/var/lib/netconform/vm-kernel")
CACHE_ROOT = Path("/var/cache/netconform/vm")

# What the harness needs of a kernel, as (module name, config option, what for). The module
# name is the one modules.builtin / the .ko file carries (dashes and underscores are one).
REQUIRED: tuple[tuple[str, str, str], ...] = (
    ("virtio_pci", "CONFIG_VIRTIO_PCI", "qemu's virtio devices"),
    ("virtio_net", "CONFIG_VIRTIO_NET", "the test NIC"),
    ("virtio_console", "CONFIG_VIRTIO_CONSOLE", "the agent's control channel"),
    ("9pnet_virtio", "CONFIG_NET_9P_VIRTIO", "the host's root file system"),
    ("9p", "CONFIG_9P_FS", "the host's root file system"),
)
# Loaded when present: kernel IPsec (ESP SAs need drbg and jitterentropy_rng to seed their IVs).
OPTIONAL: tuple[str, ...] = (
    "veth", "xfrm_user", "esp4", "esp6", "ah4", "ah6", "xfrm4_tunnel", "xfrm6_tunnel",
    # (authencesn: an encryption + integrity SA with ESN, RFC 4303 2.2.1, esp_init_authenc)
    "authenc", "authencesn", "gcm", "ghash_generic", "ctr", "cbc", "sha256_generic", "hmac",
    # ESP's IV generators take the crypto API's default rng: drbg's, seeded from
    # jitterentropy_rng; found by name, not by modinfo: jitterentropy_rng conditions with
    # sha3-256 (its insmod fails without sha3_generic), drbg's default (drbg_nopr_hmac_sha512)
    # fails its self-test without sha512_generic
    "sha3_generic", "jitterentropy_rng", "sha512_generic", "drbg",
    "aesni_intel", "aes_generic", "echainiv", "seqiv",
    # RFC 7634's transform (rfc7539esp): chacha20poly1305 finds its parts by name
    "chacha_generic", "poly1305_generic", "chacha20poly1305",
)

# Module parameters the harness needs. virtio_net frees a sent skb only when the device says
# it was sent (a TX interrupt, NAPI) unless napi_tx is off, when start_xmit orphans it at once,
# as a veth does: TCP small queues (tcp_small_queue_check) then never hold a burst back waiting
# for that completion, so a segment the DUT sends comes out before its answer to a later
# barrier probe (replies in order, as on the linux target). For a built-in driver the same
# goes on the kernel command line (vm.qemu_argv).
MODULE_PARAMS: dict[str, str] = {"virtio_net": "napi_tx=0"}

BZIMAGE_MAGIC_OFFSET = 0x202  # "HdrS" (Documentation/arch/x86/boot.rst)
DECOMPRESSORS = (
    (b"\xfd7zXZ\x00", "xz", lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ)),
    (b"\x1f\x8b", "gzip", lambda: zlib.decompressobj(16 + zlib.MAX_WBITS)),
    (b"\x5d\x00\x00", "lzma", lambda: lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)),
    (b"BZh", "bzip2", bz2.BZ2Decompressor),
)


class KernelError(RuntimeError):
    """The kernel cannot be used (one line saying why)."""


@dataclass(frozen=True)
class Kernel:
    image: Path  # as given: bzImage or vmlinux
    modules: Path | None  # lib/modules/<version>, or None (everything built in)

    @property
    def version(self) -> str:
        return self.modules.name if self.modules is not None else self.image.name


def norm(name: str) -> str:
    return name.replace("-", "_")


def default_kernel() -> Kernel | None:
    """Debian's kernel as install-system-deps unpacked it (the newest if several)."""
    images = sorted(glob.glob(str(DEFAULT_ROOT / "boot" / "vmlinuz-*")))
    if not images:
        return None
    image = Path(images[-1])
    version = image.name.removeprefix("vmlinuz-")
    modules = DEFAULT_ROOT / "lib" / "modules" / version
    return Kernel(image, modules if modules.is_dir() else None)


def user_kernel(image: str, modules: str | None) -> Kernel:
    path = Path(image)
    if not path.is_file():
        raise KernelError(f"--kernel {image}: no such file")
    mods = Path(modules) if modules else None
    if mods is not None and not mods.is_dir():
        raise KernelError(f"--modules {modules}: no such folder")
    return Kernel(path.resolve(), mods.resolve() if mods else None)


def build_config(kernel: Kernel) -> dict[str, str]:
    """The kernel's build configuration (``CONFIG_X`` to its value: y, m, a number or a quoted
    text), from Debian's /boot layout (``config-<version>`` beside ``vmlinuz-<version>``) or a
    build tree's ``.config`` (beside ``vmlinux``, or three folders above
    ``arch/x86/boot/bzImage``); empty when there is none."""
    image = kernel.image
    version = image.name.removeprefix("vmlinuz-")
    candidates = [image.parent / f"config-{version}", image.parent / ".config"]
    if len(image.parents) > 3:
        candidates.append(image.parents[3] / ".config")
    for path in candidates:
        if path.is_file():
            pairs = (line.split("=", 1) for line in path.read_text(errors="replace").splitlines()
                     if line.startswith("CONFIG_") and "=" in line)
            return {key: value for key, value in pairs}
    return {}


# -- modules ----------------------------------------------------------------------------------


def module_files(modules: Path | None) -> dict[str, Path]:
    """Every module of the folder by (normalised) name."""
    if modules is None:
        return {}
    out = {}
    for path in modules.rglob("*.ko"):
        out[norm(path.name[:-3])] = path
    return out


def builtin_modules(modules: Path | None) -> set[str]:
    if modules is None or not (modules / "modules.builtin").exists():
        return set()
    names = (modules / "modules.builtin").read_text().split()
    return {norm(Path(n).name.removesuffix(".ko")) for n in names}


def modinfo_depends(ko: Path) -> list[str]:
    """The ``depends=`` field of a module's .modinfo section (what depmod reads)."""
    data = ko.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise KernelError(f"{ko} is not a 64-bit ELF module")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = sections[shstrndx]
    for name_off, _type, _flags, _addr, offset, size in sections:
        end = data.index(b"\0", strtab[4] + name_off)
        if data[strtab[4] + name_off:end] == b".modinfo":
            for field in data[offset:offset + size].split(b"\0"):
                if field.startswith(b"depends="):
                    return [norm(d) for d in field[8:].decode().split(",") if d]
            return []
    return []


def load_order(wanted: list[str], files: dict[str, Path], builtin: set[str]) -> list[Path]:
    """The .ko files to insmod, dependencies first (built-in ones need nothing)."""
    order: list[Path] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name in builtin or name not in files:
            return
        seen.add(name)
        for dep in modinfo_depends(files[name]):
            visit(dep)
        order.append(files[name])

    for name in wanted:
        visit(norm(name))
    return order


def missing_features(kernel: Kernel) -> list[str]:
    """The required options this kernel has neither built in nor as a module ([] when the
    modules folder is absent: then only the boot can tell, and the VM's init says)."""
    if kernel.modules is None:
        return []
    files, builtin = module_files(kernel.modules), builtin_modules(kernel.modules)
    return [f"{option} ({what})" for module, option, what in REQUIRED
            if norm(module) not in files and norm(module) not in builtin]


def modules_to_load(kernel: Kernel) -> list[Path]:
    files, builtin = module_files(kernel.modules), builtin_modules(kernel.modules)
    return load_order([m for m, _, _ in REQUIRED] + list(OPTIONAL), files, builtin)


# -- the image ------------------------------------------------------------------------------


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def is_bzimage(data: bytes) -> bool:
    return data[BZIMAGE_MAGIC_OFFSET:BZIMAGE_MAGIC_OFFSET + 4] == b"HdrS"


def bzimage_payload(data: bytes) -> bytes:
    """The ELF vmlinux a bzImage carries, decompressed (KernelError for a format the standard
    library does not read: give the uncompressed vmlinux then)."""
    setup_sects = data[0x1F1] or 4
    payload_offset, = struct.unpack_from("<I", data, 0x248)
    start = (setup_sects + 1) * 512 + payload_offset
    payload = data[start:]
    for magic, name, make in DECOMPRESSORS:
        if payload.startswith(magic):
            try:
                elf = make().decompress(payload)
            except (lzma.LZMAError, zlib.error, OSError, EOFError) as exc:
                raise KernelError(f"cannot decompress the bzImage's {name} payload: "
                                  f"{exc}") from None
            if elf[:4] != b"\x7fELF":
                raise KernelError(f"the bzImage's {name} payload is not an ELF vmlinux")
            return elf
    raise KernelError(f"the bzImage's payload is compressed with a method Python cannot read "
                      f"(starts {payload[:4].hex()}): pass the uncompressed vmlinux as --kernel")


def has_note(data: bytes, owner: bytes, note_type: int) -> bool:
    """An ELF note of ``owner`` and ``note_type`` in a PT_NOTE segment (the PVH entry point is
    Xen's XEN_ELFNOTE_PHYS32_ENTRY, type 18, from CONFIG_PVH: what qemu needs to boot an ELF
    kernel directly)."""
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _flags, offset, _va, _pa, filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type != 4:  # PT_NOTE
            continue
        pos, end = offset, offset + filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            name = data[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            if name == owner and ntype == note_type:
                return True
            pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def bootable_image(kernel: Kernel) -> Path:
    """What qemu's -kernel gets: an uncompressed vmlinux with a PVH note when one can be had
    (cached), else the image as given (a bzImage boots through its own decompressor)."""
    with open(kernel.image, "rb") as f:
        head = f.read(1024)
    if head[:4] == b"\x7fELF":
        data = kernel.image.read_bytes()
        if not has_note(data, b"Xen", 18):
            raise KernelError(f"{kernel.image} is an ELF vmlinux without a PVH entry point "
                              "(CONFIG_PVH): qemu cannot boot it; pass the bzImage instead")
        return kernel.image
    if not is_bzimage(head):
        raise KernelError(f"{kernel.image} is neither a bzImage nor an ELF vmlinux")
    cached = CACHE_ROOT / f"vmlinux-{file_digest(kernel.image)}"
    if cached.exists():
        return cached
    try:
        elf = bzimage_payload(kernel.image.read_bytes())
    except KernelError:
        return kernel.image
    if not has_note(elf, b"Xen", 18):
        return kernel.image  # no PVH: the bzImage boots the slow way
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
    tmp.write_bytes(elf)
    os.replace(tmp, cached)
    return cached
