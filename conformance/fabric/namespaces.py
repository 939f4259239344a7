"""The network fabric: one tester namespace per worker and a fresh DUT namespace per test.

::

    tester netns  nc-<run>-<w>-t            DUT netns  nc-<run>-<w>-d<seq>
      veth nc-<run>-<w>-v<seq>  <-------->  veth nc-<run>-<w>-d<seq>  198.18.<w>.1/24
      (no address, IPv6 off, a port of      2001:db8:<w>::1/64, ICMP rate limits lifted,
       a bridge that is down: the tester    DAD and router solicitations off
       kernel never sees a frame)

Each test gets a DUT namespace nobody has used, so no socket, neighbour entry, route cache or
TIME-WAIT survives from the test before. Making one costs about 10 ms (two ``ip -batch`` calls
and some sysctl writes), so a background thread keeps a small pool of ready namespaces and
deletes used ones; a test only waits when the pool is empty (see ``tox -e bench``).
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import queue
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

from conformance.fabric import netns, spawn
from conformance.fabric.naming import WorkerPlan
from conformance.fabric.reaper import delete_netns
from conformance.fabric.threads import start_daemon

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
SIOCSIFMTU = 0x8922
SIOCBRADDBR = 0x89A0
SIOCBRADDIF = 0x89A2
SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17
IFF_UP = 0x1
IFF_RUNNING = 0x40

# Principle 8: determinism in the DUT netns. ``{dut_if}`` is the DUT's end of the test link.
DUT_DEFAULT_SYSCTLS: dict[str, str] = {
    "net.ipv4.icmp_ratelimit": "0",
    "net.ipv4.icmp_ratemask": "0",
    "net.ipv4.icmp_msgs_per_sec": "1000000",
    "net.ipv4.icmp_msgs_burst": "1000000",
    "net.ipv6.icmp.ratelimit": "0",
    "net.ipv6.conf.{dut_if}.accept_dad": "0",
    "net.ipv6.conf.{dut_if}.dad_transmits": "0",
    "net.ipv6.conf.{dut_if}.router_solicitations": "0",
    "net.ipv6.conf.{dut_if}.accept_ra": "0",
}

# A userspace stack owns the DUT's end of the link: the DUT kernel must not answer there.
SILENT_KERNEL_SYSCTLS: dict[str, str] = {
    "net.ipv6.conf.{dut_if}.disable_ipv6": "1",
    "net.ipv4.conf.{dut_if}.arp_ignore": "8",
}

# The tester kernel must never answer on the test link: no IPv6 at all, no ARP replies.
TESTER_SYSCTLS: dict[str, str] = {
    "net.ipv6.conf.all.disable_ipv6": "1",
    "net.ipv6.conf.default.disable_ipv6": "1",
    "net.ipv4.conf.all.arp_ignore": "8",
    "net.ipv4.conf.default.arp_ignore": "8",
}


# A per-interface sysctl of the DUT's end of the test link names it so (e.g.
# ``net.ipv6.conf.<test-link>.dad_transmits``): the interface's name differs per test.
TEST_LINK = "<test-link>"
# Used DUT namespaces are deleted by the pool's thread in batches of this many while tests
# keep it building (one `ip -batch` process for several: ~3 ms each saved on short tests),
# and all at once whenever it has nothing to build.
DELETE_BATCH = 4


def link_sysctl(key: str, dut_if: str) -> str:
    """``key`` with the test link's placeholder replaced by the DUT interface's name."""
    return key.replace(TEST_LINK, dut_if)


class FabricError(RuntimeError):
    """The fabric could not be built (a command failed, a sysctl was refused, ...)."""


def run_ip(args: list[str], script: str) -> None:
    result = spawn.run(["ip", *args, "-batch", "-"], input=script)
    if result.returncode != 0:
        raise FabricError(f"ip {' '.join(args)} -batch failed: {result.stderr.strip()}")


def set_link_up(ns: str, ifname: str) -> None:
    """Bring ``ifname`` up inside ``ns`` with SIOCSIFFLAGS (no process spawn)."""
    flags = link_flags(ns, ifname)
    with netns.entered(ns), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", ifname.encode(), flags | IFF_UP))


def set_mtu(ns: str, ifname: str, mtu: int) -> None:
    """Set ``ifname``'s MTU inside ``ns`` with SIOCSIFMTU (no process spawn)."""
    with netns.entered(ns), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCSIFMTU, struct.pack("16si12x", ifname.encode(), mtu))


def add_dut_address(dut: DutNetns, address: str) -> None:
    """Add ``address`` (``addr/prefix``) to the DUT's end of the test link, as an operator's
    ``ip addr add`` does: IPv6 Duplicate Address Detection runs as the link's accept_dad and
    dad_transmits say (RFC 4862 5.4; off by default in the harness, principle 8)."""
    run_ip(["-n", dut.name], f"addr add {address} dev {dut.dut_ifname}\n")
    addr = address.partition("/")[0]
    if not ipv6_tentative(dut.name, dut.dut_ifname, addr):
        # Assigned at once (no DAD): usable when addrconf has inserted its routes, which it
        # does asynchronously (ipv6_ready; an echo sent at once was dropped under load). A
        # tentative address's wait is the test's to observe (RFC 4862 5.4).
        wait_ipv6_ready(dut.name, dut.dut_ifname, addr)


def change_dut_route(dut: DutNetns, family: str, attrs: str) -> None:
    """Give the DUT's route to the tester (its link's prefix route of ``family``, "ipv4" or
    "ipv6") the attributes ``attrs`` (``ip route`` spelling: "mtu 1400 initcwnd 4"), as an
    operator's ``ip route change`` does, keeping those it already has (a run's --dut-setup;
    ``route change`` replaces them all). A per-test change: the namespace is discarded after
    it."""
    flag = "-6" if family == "ipv6" else "-4"
    proc = spawn.run(["ip", "-n", dut.name, "-j", flag, "route", "show", "dev", dut.dut_ifname])
    routes = [r for r in json.loads(proc.stdout or "[]")
              if "/" in str(r.get("dst", "")) and not str(r["dst"]).startswith("fe80")]
    if not routes:
        raise FabricError(f"no {family} prefix route on {dut.dut_ifname} in {dut.name}")
    route = routes[0]
    spec = [route["dst"], "dev", dut.dut_ifname]
    for key, word in (("protocol", "proto"), ("scope", "scope"), ("metric", "metric"),
                      ("prefsrc", "src")):
        if key in route:
            spec += [word, str(route[key])]
    kept: dict[str, str] = {}
    for item in route.get("metrics", []):  # (ip -j spelling: rto_min in ms)
        for name, value in (item.items() if isinstance(item, dict) else ()):
            kept[name] = f"{value}ms" if name in ("rto_min", "rtt", "rttvar") else str(value)
    words = attrs.split()
    kept.update(zip(words[::2], words[1::2], strict=True))
    merged = " ".join(f"{name} {value}" for name, value in kept.items())
    run_ip(["-n", dut.name, flag], f"route change {' '.join(spec)} {merged}\n")


def set_veth_mtu(dut: DutNetns, mtu: int) -> None:
    """Both ends of a DUT's veth (a per-test change: the namespace is discarded after it)."""
    set_mtu(dut.name, dut.dut_ifname, mtu)
    set_mtu(dut.tester_netns, dut.tester_ifname, mtu)


def link_flags(ns: str, ifname: str) -> int:
    with netns.entered(ns), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH14x", ifname.encode(), 0)
        return struct.unpack("16sH14x", fcntl.ioctl(s, SIOCGIFFLAGS, ifreq))[1]


def wait_running(ns: str, ifname: str, timeout: float = 3.0) -> None:
    """Wait until the kernel's link watcher has brought ``ifname`` to RUNNING.

    Until then the device still has the noop qdisc and silently drops what is sent on it
    (drop reason QDISC_DROP): a test's first exchange would be lost.
    """
    deadline = time.monotonic() + timeout
    while not link_flags(ns, ifname) & IFF_RUNNING:
        if time.monotonic() > deadline:
            raise FabricError(f"{ifname} in {ns} did not come up within {timeout:g} s")
        time.sleep(0.001)


IFA_F_TENTATIVE = 0x40  # include/uapi/linux/if_addr.h


def ipv6_ready(ns: str, ifname: str, address: str) -> bool:
    """``address`` is on ``ifname`` and no longer tentative, with its /64 prefix route and its
    local /128 route in place. They are set up asynchronously after the link comes up
    (addrconf inserts the local route from its DAD work even for a ``nodad`` address; measured
    up to 5 ms after the address itself, more under load): a packet arriving before is
    routed, not delivered (drop reason IP_INADDRERRORS in ip6_forward)."""
    packed = socket.inet_pton(socket.AF_INET6, address).hex()
    prefix = packed[:16] + "0" * 16
    with netns.entered(ns):
        with open("/proc/thread-self/net/if_inet6") as f:
            addrs = [line.split() for line in f]
        with open("/proc/thread-self/net/ipv6_route") as f:
            routes = [line.split() for line in f]
    address_ok = any(a[0] == packed and a[5] == ifname and not int(a[4], 16) & IFA_F_TENTATIVE
                     for a in addrs)
    prefix_ok = any(r[0] == prefix and r[1] == "40" and r[9] == ifname for r in routes)
    local_ok = any(r[0] == packed and r[1] == "80" for r in routes)
    return address_ok and prefix_ok and local_ok


def ipv6_tentative(ns: str, ifname: str, address: str) -> bool:
    """``address`` is on ``ifname`` and still tentative (IFA_F_TENTATIVE: DAD under way)."""
    packed = socket.inet_pton(socket.AF_INET6, address).hex()
    with netns.entered(ns), open("/proc/thread-self/net/if_inet6") as f:
        addrs = [line.split() for line in f]
    return any(a[0] == packed and a[5] == ifname and int(a[4], 16) & IFA_F_TENTATIVE
               for a in addrs)


def wait_ipv6_ready(ns: str, ifname: str, address: str, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not ipv6_ready(ns, ifname, address):
        if time.monotonic() > deadline:
            raise FabricError(f"{address} on {ifname} in {ns} not ready within {timeout:g} s")
        time.sleep(0.001)


def disable_tx_checksum_offload(ns: str, ifname: str) -> None:
    """Make the kernel compute checksums of what it sends on ``ifname`` (ETHTOOL_STXCSUM off).

    A veth offloads checksums by default: frames leave with a partial checksum that only the
    receiving kernel would complete, so a packet socket (the tester, the oracle, the pcap)
    would see wrong TCP/UDP checksums on everything the DUT sends.
    """
    value = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_STXCSUM, 0))
    ifreq = struct.pack("16sP8x", ifname.encode(), ctypes.addressof(value))
    with netns.entered(ns), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCETHTOOL, ifreq)


def add_bridge(ns: str, bridge: str) -> None:
    """Create ``bridge`` inside ``ns`` (SIOCBRADDBR, no process spawn); it stays down."""
    with netns.entered(ns), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCBRADDBR, bridge.encode())


def attach_to_sink(ns: str, ifname: str, bridge: str) -> None:
    """Make ``ifname`` a port of ``bridge``, a bridge that is never brought up.

    The tester kernel must not process what the DUT sends (it would drop the frames in its IP
    layer and pollute the drop-reason evidence, or worse, answer them). A port of a bridge that
    is down is in the disabled STP state: the bridge's rx handler frees every frame right after
    packet sockets have taken their copy (drop reason BRIDGE_INGRESS_STP_STATE, which the drop
    monitor ignores), so the tester kernel's own stack never sees a frame.
    """
    with netns.entered(ns), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifindex = socket.if_nametoindex(ifname)
        fcntl.ioctl(s, SIOCBRADDIF, struct.pack("16si12x", bridge.encode(), ifindex))


SYSCTL_NAME = re.compile(r"[a-z0-9_.\-]+")


def parse_sysctl_items(items: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings (--dut-sysctl) as a dict; ValueError naming a malformed one."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not SYSCTL_NAME.fullmatch(name.strip()):
            raise ValueError(f"--dut-sysctl expects NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out


@dataclass(frozen=True)
class DutConfig:
    """How each fresh DUT namespace is configured (user additions come last and win)."""

    extra_sysctls: dict[str, str] = field(default_factory=dict)
    setup_commands: tuple[str, ...] = ()
    kernel_silent: bool = False  # for a userspace DUT on the link: no address in the kernel

    def sysctls(self, dut_if: str) -> dict[str, str]:
        merged = {k.format(dut_if=dut_if): v for k, v in DUT_DEFAULT_SYSCTLS.items()}
        if self.kernel_silent:
            merged.update({k.format(dut_if=dut_if): v for k, v in SILENT_KERNEL_SYSCTLS.items()})
        merged.update(self.extra_sysctls)
        return merged

    def recorded_sysctls(self) -> dict[str, str]:
        """The sysctls as they go into results.json (the per-test link as ``<test-link>``)."""
        return self.sysctls(TEST_LINK)


@dataclass(frozen=True)
class DutNetns:
    """One fresh DUT namespace and its link to the tester namespace."""

    plan: WorkerPlan
    seq: int
    created_s: float

    @property
    def name(self) -> str:
        return self.plan.dut_netns(self.seq)

    @property
    def dut_ifname(self) -> str:
        return self.plan.dut_ifname(self.seq)

    @property
    def tester_ifname(self) -> str:
        return self.plan.tester_ifname(self.seq)

    @property
    def tester_netns(self) -> str:
        return self.plan.tester_netns


def build_dut(plan: WorkerPlan, seq: int, config: DutConfig) -> DutNetns:
    """Create DUT namespace ``seq`` with its veth to the tester namespace, configured."""
    t0 = time.perf_counter()
    dut = DutNetns(plan, seq, 0.0)
    ns, dif, tif = dut.name, dut.dut_ifname, dut.tester_ifname
    # Both veth ends are created directly in their namespaces: nothing appears in ours.
    run_ip(
        [],
        f"netns add {ns}\n"
        f"link add {tif} address {plan.tester_mac} netns {plan.tester_netns} type veth "
        f"peer name {dif} address {plan.dut_mac} netns {ns}\n",
    )
    try:
        netns.write_sysctls(ns, config.sysctls(dif))
        disable_tx_checksum_offload(ns, dif)
        attach_to_sink(plan.tester_netns, tif, plan.tester_sink_bridge)
        set_link_up(plan.tester_netns, tif)
        script = "link set lo up\n"
        if not config.kernel_silent:
            script += (
                f"link set {dif} addrgenmode none\n"
                f"addr add {plan.dut_ipv4}/{plan.ipv4_prefix_len} dev {dif}\n"
                f"addr add {plan.dut_ipv6}/64 dev {dif} nodad\n"
                # The tester's address is known statically so no ARP disturbs a test that
                # is not about ARP (ARP tests use spare source addresses).
                f"neigh replace {plan.tester_ipv4} lladdr {plan.tester_mac} dev {dif} "
                "nud permanent\n"
                # Likewise for IPv6 (RFC 4861 7.3: a static entry, no Neighbor Solicitation
                # before each reply); NDP tests use other source addresses.
                f"neigh replace {plan.tester_ipv6} lladdr {plan.tester_mac} dev {dif} "
                "nud permanent\n"
            )
        script += f"link set {dif} up\n"
        run_ip(["-n", ns], script)
        wait_running(ns, dif)
        wait_running(plan.tester_netns, tif)
        if not config.kernel_silent and not any(
                key.endswith(".disable_ipv6") and value.strip() == "1"
                for key, value in config.extra_sysctls.items()):
            wait_ipv6_ready(ns, dif, plan.dut_ipv6)
        for command in config.setup_commands:
            result = spawn.run(["ip", "netns", "exec", ns, "sh", "-c", command], timeout=60)
            if result.returncode != 0:
                raise FabricError(
                    f"--dut-setup {command!r} failed with exit {result.returncode}: "
                    f"{(result.stderr or result.stdout).strip()[:300]}"
                )
    except BaseException:
        delete_netns([ns])
        raise
    return DutNetns(plan, seq, time.perf_counter() - t0)


class Fabric:
    """Per-worker fabric: the tester namespace plus a pool of fresh DUT namespaces."""

    def __init__(self, plan: WorkerPlan, config: DutConfig, pool_size: int = 2) -> None:
        self.plan = plan
        self.config = config
        self.pool_size = pool_size
        self._ready: queue.Queue[DutNetns | BaseException] = queue.Queue()
        self._want = threading.Semaphore(0)
        self._used: list[str] = []
        self._live: set[str] = set()  # every DUT namespace made and not yet deleted
        self._lock = threading.Lock()
        self._seq = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.acquire_waits_s: list[float] = []

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> None:
        run_ip([], f"netns add {self.plan.tester_netns}\n")
        netns.write_sysctls(self.plan.tester_netns, TESTER_SYSCTLS)
        run_ip(["-n", self.plan.tester_netns],
                f"link add name {self.plan.tester_sink_bridge} type bridge\n")
        set_link_up(self.plan.tester_netns, "lo")
        if self.pool_size > 0:
            for _ in range(self.pool_size):
                self._want.release()
            self._thread = start_daemon(self._fill, "nc-dut-pool")

    def close(self) -> None:
        self._stop.set()
        self._want.release()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            leftovers = sorted(self._live)
            self._live.clear()
            self._used = []
        delete_netns(leftovers + [self.plan.tester_netns])

    # -- DUT namespaces -----------------------------------------------------------------
    def _build(self) -> DutNetns:
        with self._lock:
            self._seq += 1
            seq = self._seq
            self._live.add(self.plan.dut_netns(seq))
        return build_dut(self.plan, seq, self.config)

    def _fill(self) -> None:
        while True:
            if not self._want.acquire(blocking=False):  # nothing to build now: tidy up
                self._delete_used()
                self._want.acquire()
            if self._stop.is_set():
                return
            self._delete_used(at_least=DELETE_BATCH)
            try:
                self._ready.put(self._build())
            except BaseException as exc:  # handed to the test that takes it
                self._ready.put(exc)

    def _delete_used(self, at_least: int = 1) -> None:
        with self._lock:
            if len(self._used) < at_least:
                return
            used, self._used = self._used, []
            self._live.difference_update(used)
        delete_netns(used)

    def acquire(self) -> DutNetns:
        """A fresh DUT namespace (from the pool, or built now when there is no pool)."""
        t0 = time.perf_counter()
        if self.pool_size == 0:
            self._delete_used()
            dut = self._build()
        else:
            item = self._ready.get(timeout=120)
            self._want.release()
            if isinstance(item, BaseException):
                raise item
            dut = item
        self.acquire_waits_s.append(time.perf_counter() - t0)
        return dut

    def release(self, dut: DutNetns) -> None:
        """Hand a used DUT namespace back for deletion (in the background with a pool)."""
        with self._lock:
            self._used.append(dut.name)
