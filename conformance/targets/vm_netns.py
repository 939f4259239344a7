"""Inside the VM: a fresh network namespace per test, with the VM's NIC moved into it.

The NIC (virtio-net, ``eth0``, the DUT's MAC) is the VM's end of the TAP bridged to the tester's
veth. A test gets a namespace nobody has used (no socket, neighbour entry, route cache or
TIME-WAIT from the test before, without a reboot), configured as the ``linux`` target's DUT
namespaces are (:func:`conformance.fabric.namespaces.build_dut`: the determinism sysctls of
principle 8, addresses, static neighbour entries for the tester, ``--dut-sysctl`` and
``--dut-setup``); the next test moves the NIC straight from the last test's namespace into its
own (prepared in the background meanwhile), and the last one is deleted in the background.

A device moving into a namespace gets that namespace's ``default`` IPv6 settings, so the
per-device determinism sysctls are also written as ``default`` ones before the move: no DAD,
router solicitation or router advertisement handling happens in between.

Runs on the VM's kernel with the host's Python and iproute2 (through the 9p root).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import socket
import struct
import subprocess
import threading
import time
from typing import Any

from conformance.fabric import netns
from conformance.fabric.namespaces import (
    disable_tx_checksum_offload,
    wait_ipv6_ready,
    wait_running,
)
from conformance.targets.vm_rtnl import Rtnl, link_index

MS_BIND = 0x1000
MNT_DETACH = 0x2
SIOCETHTOOL = 0x8946
ETHTOOL_SGRO = 0x2C  # include/uapi/linux/ethtool.h
IP = "ip"
LOOPBACK_INDEX = 1  # lo is the first link of every namespace

_libc = ctypes.CDLL(None, use_errno=True)


class VmNetnsError(OSError):
    pass


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise VmNetnsError(err, f"{what}: {os.strerror(err)}")


def create(name: str) -> None:
    """A new network namespace kept by a bind mount at /run/netns/``name`` (what ``ip netns
    add`` does, without a process: unshare in a short-lived thread)."""
    os.makedirs(netns.NETNS_RUN_DIR, exist_ok=True)
    path = netns.netns_path(name)
    with open(path, "x"):
        pass
    failure: list[BaseException] = []

    def work() -> None:
        try:
            _check(_libc.unshare(netns.CLONE_NEWNET), "unshare(CLONE_NEWNET)")
            _check(_libc.mount(b"/proc/thread-self/ns/net", path.encode(), None, MS_BIND, None),
                   f"bind mount of the namespace at {path}")
        except BaseException as exc:  # handed to the caller
            failure.append(exc)

    thread = threading.Thread(target=work, name="nc-vm-netns")
    thread.start()
    thread.join()
    if failure:
        os.unlink(path)
        raise failure[0]


def delete(name: str) -> None:
    path = netns.netns_path(name)
    _check(_libc.umount2(path.encode(), MNT_DETACH), f"umount {path}")
    os.unlink(path)


def gro_off(name: str, nic: str) -> None:
    """Generic receive offload off on the NIC (ETHTOOL_SGRO), as on the ``linux`` target's veth:
    the DUT's TCP sees each segment the tester sent, never a coalesced one."""
    value = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_SGRO, 0))
    ifreq = struct.pack("16sP8x", nic.encode(), ctypes.addressof(value))
    with netns.entered(name), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCETHTOOL, ifreq)


def split_sysctls(sysctls: dict[str, str], nic: str) -> tuple[dict[str, str], dict[str, str]]:
    """(before the move, after it): per-device keys of the NIC wait for it, and are also
    written as ``default`` keys before, which the device inherits as it arrives."""
    device = f".conf.{nic}."
    before = {key: value for key, value in sysctls.items() if device not in key}
    after = {key: value for key, value in sysctls.items() if device in key}
    for key, value in after.items():
        before.setdefault(key.replace(device, ".conf.default."), value)
    return before, after


def prepare(name: str, nic: str, setup: dict[str, Any]) -> None:
    """What can be done before the NIC is free: the namespace and its sysctls (the per-device
    ones of the NIC as ``default`` ones, which the NIC inherits as it arrives)."""
    create(name)
    try:
        netns.write_sysctls(name, split_sysctls(dict(setup.get("sysctls", {})), nic)[0])
    except BaseException:
        delete(name)
        raise


def configure(name: str, nic: str, setup: dict[str, Any],
              source: str | None = None) -> dict[str, float]:
    """Move ``nic`` from namespace ``source`` (None: the VM's first) into the prepared
    namespace ``name`` and configure it as ``setup`` says:
    ``sysctls`` (``{dut_if}`` already resolved to ``nic``), ``ipv4`` (address/prefix),
    ``ipv6``, ``neighbours`` ([(address, MAC)] made permanent), ``setup_commands`` (shell, in
    the namespace; a failure is an error naming the command). Returns how long the steps took
    (``move_s``, ``link_s``, ``link_ready_s``)."""
    t0 = time.perf_counter()
    fd = os.open(netns.netns_path(name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        index = link_index(source, nic) if source else socket.if_nametoindex(nic)
        with Rtnl(source) as there:
            there.move_link(index, netns_fd=fd)
    finally:
        os.close(fd)
    netns.write_sysctls(name, split_sysctls(dict(setup.get("sysctls", {})), nic)[1])
    t_moved = time.perf_counter()
    index = link_index(name, nic)
    with Rtnl(name) as there:
        there.link_up(LOOPBACK_INDEX)
        if setup.get("ipv4") or setup.get("ipv6"):
            there.addrgenmode_none(index)
        for key in ("ipv4", "ipv6"):
            if setup.get(key):
                there.add_address(index, str(setup[key]))
        for address, mac in setup.get("neighbours", []):
            there.add_permanent_neighbour(index, address, mac)
        there.link_up(index)
    for offload_off in (disable_tx_checksum_offload, gro_off):
        try:
            offload_off(name, nic)
        except OSError as exc:  # a NIC without the feature has it off already
            if exc.errno != errno.EOPNOTSUPP:
                raise
    t_link = time.perf_counter()
    wait_running(name, nic)
    if setup.get("ipv6") and netns.read_sysctl(name, f"net.ipv6.conf.{nic}.disable_ipv6") != "1":
        wait_ipv6_ready(name, nic, str(setup["ipv6"]).split("/")[0])
    for command in setup.get("setup_commands", []):
        result = subprocess.run([IP, "netns", "exec", name, "sh", "-c", command],
                                capture_output=True, text=True, check=False, timeout=60)
        if result.returncode != 0:
            raise VmNetnsError(0, f"--dut-setup {command!r} failed with exit "
                                  f"{result.returncode}: "
                                  f"{(result.stderr or result.stdout).strip()[:300]}")
    return {"move_s": round(t_moved - t0, 4), "link_s": round(t_link - t_moved, 4),
            "link_ready_s": round(time.perf_counter() - t_link, 4)}


def route_metrics(name: str, destination: str) -> dict[str, object]:
    return netns.route_metrics(name, destination)
