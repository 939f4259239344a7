"""Pure pieces of the vm target's boot: the init's report of missing kernel options, the cpio
archive it is packed in, and module load order from .modinfo dependencies."""

import struct

from conformance.targets import vm_initramfs, vm_kernel


def test_missing_options_are_one_readable_list():
    line = ("NC-MISSING: CONFIG_VIRTIO_NET (the test NIC) CONFIG_9P_FS (the host's root file "
            "system)")
    assert vm_initramfs.missing_options(line) == (
        "CONFIG_VIRTIO_NET (the test NIC), CONFIG_9P_FS (the host's root file system)")
    assert vm_initramfs.missing_options("NC-MISSING: (mounting failed)") == "(mounting failed)"


def test_every_required_option_is_checked_by_the_init():
    script = vm_initramfs.init_script()
    for _, option, _ in vm_kernel.REQUIRED:
        assert option in script
    assert script.startswith("#!/bin/busybox sh\n") and "@" not in script.replace("$@", "")


def test_cpio_newc_entries_are_aligned_and_terminated():
    data = vm_initramfs.cpio([("init", 0o100755, b"#!/bin/sh\n"), ("bin", 0o040755, b"")])
    assert data.startswith(b"070701") and len(data) % 4 == 0
    assert b"TRAILER!!!\0" in data
    namesize = int(data[94:102], 16)  # the 12th field: c_namesize
    assert data[110:110 + namesize] == b"init\0"


def _module(path, depends: str) -> None:
    """A minimal 64-bit ELF whose only section besides the names is .modinfo."""
    names = b"\0.modinfo\0.shstrtab\0"
    modinfo = f"license=GPL\0depends={depends}\0".encode()
    shoff = 64 + len(modinfo) + len(names)
    header = bytearray(64)
    header[:5] = b"\x7fELF\x02"
    struct.pack_into("<Q", header, 0x28, shoff)
    struct.pack_into("<HHH", header, 0x3A, 64, 3, 2)
    sections = [bytes(64),
                struct.pack("<IIQQQQQQ", 1, 1, 0, 0, 64, len(modinfo), 0, 0).ljust(64, b"\0"),
                struct.pack("<IIQQQQQQ", 10, 3, 0, 0, 64 + len(modinfo), len(names), 0, 0)
                .ljust(64, b"\0")]
    path.write_bytes(bytes(header) + modinfo + names + b"".join(sections))


def test_modules_load_after_their_dependencies(tmp_path):
    _module(tmp_path / "virtio.ko", "")
    _module(tmp_path / "virtio_ring.ko", "virtio")
    _module(tmp_path / "virtio_net.ko", "virtio,virtio_ring,net_failover")
    (tmp_path / "modules.builtin").write_text("kernel/drivers/net/net_failover.ko\n")
    files = vm_kernel.module_files(tmp_path)
    order = vm_kernel.load_order(["virtio_net"], files, vm_kernel.builtin_modules(tmp_path))
    assert [p.name for p in order] == ["virtio.ko", "virtio_ring.ko", "virtio_net.ko"]


def test_a_bzimage_payload_is_decompressed_to_its_elf():
    import gzip
    import lzma

    import pytest

    elf = b"\x7fELF" + bytes(200)
    for packed in (gzip.compress(elf), lzma.compress(elf, format=lzma.FORMAT_XZ)):
        image = bytearray(2 * 512 + 16)
        image[0x1F1] = 1  # one setup sector after the boot sector
        image[0x202:0x206] = b"HdrS"
        struct.pack_into("<I", image, 0x248, 16)  # payload_offset past the setup
        image += packed + b"\0\0\0\0"  # (a trailing size field, as the kernel appends)
        assert vm_kernel.is_bzimage(bytes(image))
        assert vm_kernel.bzimage_payload(bytes(image)) == elf
    with pytest.raises(vm_kernel.KernelError, match="uncompressed vmlinux"):
        vm_kernel.bzimage_payload(bytes(image[:1040]) + b"\x28\xb5\x2f\xfd zstd")
