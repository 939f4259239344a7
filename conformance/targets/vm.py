"""The ``vm`` target: any Linux kernel under qemu, one VM per worker, a fresh namespace per test.

::

    tester netns                 host DUT netns nc-<run>-<w>-d<seq> (kernel silent)
      veth ...-v<seq>  <------>    veth ...-d<seq> ─ bridge ...-r<seq> ─ TAP ...-a<seq>
                                                                           │ qemu (TCG)
    VM (the kernel under test):  eth0 (virtio-net, the DUT's MAC) moved into a fresh
      namespace per test; the DUT agent (host Python over a read-only 9p root) on a
      virtio-serial port, which qemu joins to its own stdin/stdout

The kernel boots once per worker (``--kernel``/``--modules`` or Debian's, see
:mod:`conformance.targets.vm_kernel`; the initramfs: :mod:`conformance.targets.vm_initramfs`);
each test then costs a namespace inside the VM (:mod:`conformance.targets.vm_netns`). qemu's
stdin/stdout are the agent's protocol (:class:`~conformance.dut.agent.AgentProcess`, the PID is
qemu's: killing it ends the VM), its console goes to a log file read when the boot fails.

Evidence comes from inside the VM: MIB counter deltas of the test's namespace, ``skb:kfree_skb``
drop reasons and new alarming kernel log lines (a WARN or an oops fails the test with the lines).
A VM that dies during a test fails that test with how qemu ended and the console's last lines;
the next test boots a new one. qemu lives in an ``nc-`` namespace, so the reaper kills it by PID
when a run is killed; it also dies with the worker (PR_SET_PDEATHSIG through ``setpriv``).
"""

from __future__ import annotations

import dataclasses
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from conformance.dut import xfrm
from conformance.dut.agent import AgentDutApi, AgentFailure, AgentProcess
from conformance.fabric import ownership, reaper
from conformance.fabric.link import TesterLink, open_packet_socket
from conformance.fabric.namespaces import (
    DUT_DEFAULT_SYSCTLS,
    DutConfig,
    DutNetns,
    Fabric,
    link_sysctl,
    run_ip,
)
from conformance.fabric.naming import WorkerPlan, base36, new_run_id
from conformance.fabric.packet_ring import PacketRing
from conformance.fabric.pcap import Recorder
from conformance.judge.sysctls import ORACLE_SYSCTLS
from conformance.targets import vm_initramfs, vm_kernel, vm_profile
from conformance.targets.agent_target import checkout_root
from conformance.targets.base import Capabilities, Target, TestBed
from conformance.targets.namespaced import endpoints_of
from conformance.targets.pytcp import (
    bridge_without_netfilter,
    silent_config,
    tap_bridge_script,
    tap_fabric_unavailable,
    tap_name,
)
from reference_stack.profiles import Profile

QEMU = "qemu-system-x86_64"
# Where the CLI's --kernel/--modules reach every worker (xdist workers inherit the environment).
KERNEL_ENV = "NETCONFORM_VM_KERNEL"
MODULES_ENV = "NETCONFORM_VM_MODULES"
ACCEL_ENV = "NETCONFORM_VM_ACCEL"  # "kvm" where /dev/kvm works; TCG by default
NIC = "eth0"
MEMORY_MB = 1024
BOOT_TIMEOUT_S = 180.0  # TCG on a loaded 2-CPU host: 6-8 s idle, far more under -n 2 + load
CALL_TIMEOUT_S = 60.0
CONSOLE_TAIL = 2000


class VmBootError(RuntimeError):
    """The VM did not come up; one line saying why (a missing kernel option names it)."""


class KernelUnusable(RuntimeError):
    """A --kernel the target cannot use (one line naming what it lacks)."""


def use_kernel(image: str, modules: str | None) -> None:
    """Select a user's kernel for this process and the workers it starts (the environment).
    With a modules folder the required options are checked there; without one the kernel must
    have them built in, which only a boot can tell: one probe boot, before any test runs."""
    try:
        kernel = vm_kernel.user_kernel(image, modules)
        vm_kernel.bootable_image(kernel)  # an image qemu cannot boot is named now
    except vm_kernel.KernelError as exc:
        raise KernelUnusable(str(exc)) from None
    os.environ[KERNEL_ENV] = str(kernel.image)
    os.environ.pop(MODULES_ENV, None)
    if kernel.modules is not None:
        os.environ[MODULES_ENV] = str(kernel.modules)
    lacking = vm_kernel.missing_features(kernel)
    if lacking:
        raise KernelUnusable(f"kernel {image} lacks " + ", ".join(lacking))
    if kernel.modules is None and VmTarget.unavailable_reason() is None:
        probe = VmTarget(WorkerPlan(new_run_id(), 0), DutConfig())
        try:
            probe.start()
        except (VmBootError, vm_kernel.KernelError) as exc:
            raise KernelUnusable(str(exc)) from None
        finally:
            probe.stop()


def selected_kernel() -> vm_kernel.Kernel:
    """--kernel/--modules when given, else Debian's (KernelError when there is none)."""
    image = os.environ.get(KERNEL_ENV)
    if image:
        return vm_kernel.user_kernel(image, os.environ.get(MODULES_ENV) or None)
    kernel = vm_kernel.default_kernel()
    if kernel is None:
        raise vm_kernel.KernelError(
            f"no kernel: Debian's linux-image-amd64 is not unpacked under "
            f"{vm_kernel.DEFAULT_ROOT} (run .ci/install-system-deps) and no --kernel was given")
    return kernel


def missing_pieces() -> list[str]:
    """What the target needs and this machine lacks (Debian package names)."""
    missing = []
    if shutil.which(QEMU) is None:
        missing.append(f"qemu-system-x86 (no {QEMU})")
    if (busybox := vm_initramfs.busybox_missing()) is not None:
        missing.append(busybox)
    return missing


def qemu_argv(image: Path, initrd: Path, console: Path, tap: str, mac: str,
              accel: str) -> list[str]:
    cmdline = " ".join((
        "console=ttyS0", "panic=-1", "loglevel=4", "mitigations=off", "tsc=reliable",
        "no_timer_check", "random.trust_cpu=on", "8250.nr_uarts=1", "rdinit=/init",
        # Raw pointers in trace output: the agent names each drop's location from kallsyms
        # (6.1's skb:kfree_skb prints it with %p, hashed by default).
        "no_hash_pointers",
        *(f"{module}.{param}" for module, params in vm_kernel.MODULE_PARAMS.items()
          for param in params.split()),
        f"ncpy={os.path.realpath(_python())}", f"ncroot={checkout_root()}",
    ))
    return [
        QEMU, "-accel", accel, "-cpu", "max", "-m", str(MEMORY_MB), "-smp", "1",
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-kernel", str(image), "-initrd", str(initrd), "-append", cmdline,
        "-chardev", f"file,id=con,path={console}", "-serial", "chardev:con",
        "-chardev", "stdio,id=ctl,signal=off",
        "-device", "virtio-serial-pci", "-device",
        f"virtserialport,chardev=ctl,name={vm_initramfs.AGENT_PORT}",
        "-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
        "-device", f"virtio-9p-pci,fsdev=hostroot,mount_tag={vm_initramfs.HOST_ROOT_TAG}",
        # No vnet header: the guest gets no checksum or segmentation offload, so every frame
        # leaves the VM complete, as the tester and the pcap must see it.
        "-netdev", f"tap,id=n0,ifname={tap},script=no,downscript=no,vnet_hdr=off",
        "-device", f"virtio-net-pci,netdev=n0,mac={mac}",
    ]


def _python() -> str:
    """The interpreter the agent runs on in the VM: this one, outside any virtual environment
    (the agent needs the standard library and this checkout only)."""
    import sys

    return getattr(sys, "_base_executable", None) or sys.executable


@dataclasses.dataclass
class Vm:
    """One running VM: qemu (its agent on stdin/stdout), its console log and host namespace."""

    netns: DutNetns
    agent: AgentProcess
    console: Path
    facts: dict[str, Any]
    boot_s: float

    def console_tail(self) -> str:
        try:
            text = self.console.read_text(errors="replace")
        except OSError:
            return ""
        return text[-CONSOLE_TAIL:].strip()

    def alive(self) -> bool:
        return self.agent.broken is None and self.agent.exit_status() is None

    def call(self, name: str, *args: Any) -> Any:
        reply = self.agent.request(name, list(args), timeout=CALL_TIMEOUT_S)
        if reply.get("errno"):
            raise AgentFailure(f"VM agent call {name} failed: {reply.get('detail')}")
        from conformance.dut.agent import decode

        return decode(reply.get("value"))


class VmTarget(Target):
    name = "vm"
    description = "a Linux kernel under qemu (--kernel, or Debian's), a fresh namespace per test"
    bed_hooks = frozenset({"set_dut_sysctl", "set_ipsec"})  # (what begin_test sets)

    def __init__(self, plan: WorkerPlan, config: DutConfig) -> None:
        self.plan = plan
        self.config = config  # applied inside the VM; the host's namespace stays silent
        self.fabric = Fabric(plan, silent_config(DutConfig()), pool_size=0)
        self.kernel = selected_kernel()
        self.build_config = vm_kernel.build_config(self.kernel)
        self.accel = os.environ.get(ACCEL_ENV, "tcg")
        self.packet_socket: PacketRing | None = None
        self.vm: Vm | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix=reaper.vm_workdir_prefix(plan.stem)))
        self.boots_s: list[float] = []
        self._dut_sysctls: dict[str, str] = {}
        self._dut_route: dict[str, dict[str, object]] = {}
        self.choices_modelled = False

    @classmethod
    def unavailable_reason(cls) -> str | None:
        reason = tap_fabric_unavailable()
        if reason:
            return reason
        missing = missing_pieces()
        if missing:
            return "missing " + ", ".join(missing) + " (run .ci/install-system-deps)"
        try:
            kernel = selected_kernel()
        except vm_kernel.KernelError as exc:
            return str(exc)
        lacking = vm_kernel.missing_features(kernel)
        if lacking:
            return f"kernel {kernel.version} lacks " + ", ".join(lacking)
        return None

    @property
    def capabilities(self) -> Capabilities:
        facts = self.vm.facts if self.vm is not None else {}
        # kernel_log False: the host's /dev/kmsg is not this kernel's log (a campaign read it
        # and blamed the VM for a line another process planted on the host); the VM's own log
        # is read by its agent and fails end_test (AgentFailure), a liveness finding.
        return Capabilities(replies_synchronously=True, kernel_evidence=True,
                            oracle_profile="linux", kernel_log=False,
                            has_esp=bool(facts.get("esp")))

    # -- the VM -------------------------------------------------------------------------
    def _boot(self) -> Vm:
        t0 = time.perf_counter()
        image = vm_kernel.bootable_image(self.kernel)
        initrd = vm_initramfs.build(self.kernel)
        netns = self.fabric.acquire()
        tap = tap_name(self.plan, netns)
        console = self.workdir / f"console-{netns.seq}.log"
        try:
            bridge_without_netfilter(netns.name)
            run_ip(["-n", netns.name], tap_bridge_script(self.plan, netns, tap))
            argv = ["ip", "netns", "exec", netns.name,
                    *qemu_argv(image, initrd, console, tap, self.plan.dut_mac, self.accel)]
            if shutil.which("setpriv"):
                argv = ["setpriv", "--pdeathsig", "KILL", *argv]
            agent = AgentProcess(argv, label="VM (qemu)")
        except BaseException:
            self.fabric.release(netns)
            raise
        vm = Vm(netns, agent, console, {}, 0.0)
        try:
            facts = agent.read_message(BOOT_TIMEOUT_S, f"booting {self.kernel.image}")
            if not facts.get("ready"):
                raise AgentFailure(f"the VM agent's first line is not 'ready': {facts!r}")
        except AgentFailure as exc:
            self._end_vm(vm)
            raise VmBootError(self._boot_failure(vm, exc)) from None
        except BaseException:
            self._end_vm(vm)
            raise
        vm.facts, vm.boot_s = facts, time.perf_counter() - t0
        self.boots_s.append(vm.boot_s)
        return vm

    def _boot_failure(self, vm: Vm, exc: AgentFailure) -> str:
        console = vm.console_tail()
        for line in console.splitlines():
            if line.startswith(vm_initramfs.MISSING_MARK):
                return f"kernel {self.kernel.image} lacks {vm_initramfs.missing_options(line)}"
        last = " | ".join(console.splitlines()[-8:])
        return f"the VM did not come up: {exc}; console: {last}"

    def _end_vm(self, vm: Vm) -> None:
        try:
            vm.agent.kill()
        finally:
            self.fabric.release(vm.netns)

    def _ensure_vm(self) -> Vm:
        if self.vm is not None and not self.vm.alive():
            self._end_vm(self.vm)
            self.vm = None
        if self.vm is None:
            self.vm = self._boot()
        return self.vm

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> None:
        ownership.register(self.plan.run_id, base36(self.plan.worker))
        self.fabric.start()
        self.packet_socket = open_packet_socket(self.plan.tester_netns)
        vm = self._ensure_vm()
        vm.call("dut_begin", self._setup())
        try:
            on_nic = {link_sysctl(key, NIC): key for key in ORACLE_SYSCTLS}
            read = vm.call("read_sysctls", list(on_nic))
            self._dut_sysctls = {on_nic[key]: value for key, value in read.items()}
            self._dut_route = {"ipv4": vm.call("route_metrics", self.plan.tester_ipv4),
                               "ipv6": vm.call("route_metrics", self.plan.tester_ipv6)}
        finally:
            vm.call("dut_end")

    def stop(self) -> None:
        try:
            if self.vm is not None:
                self._end_vm(self.vm)
                self.vm = None
            if self.packet_socket is not None:
                self.packet_socket.close()
            self.fabric.close()
            shutil.rmtree(self.workdir, ignore_errors=True)
        finally:
            ownership.unregister(self.plan.run_id, base36(self.plan.worker))

    def _setup(self) -> dict[str, Any]:
        """How the VM's agent configures each test's namespace (vm_netns.configure)."""
        plan = self.plan
        sysctls = {k.format(dut_if=NIC): v for k, v in DUT_DEFAULT_SYSCTLS.items()}
        sysctls.update(self.config.extra_sysctls)
        return {
            "sysctls": sysctls,
            "ipv4": f"{plan.dut_ipv4}/{plan.ipv4_prefix_len}",
            "ipv6": f"{plan.dut_ipv6}/64",
            # Static entries for the tester (RFC 4861 7.3 for IPv6), as on the linux target.
            "neighbours": [(plan.tester_ipv4, plan.tester_mac),
                           (plan.tester_ipv6, plan.tester_mac)],
            "setup_commands": list(self.config.setup_commands),
        }

    # -- one test -----------------------------------------------------------------------
    def begin_test(self, test_id: str) -> TestBed:
        t0 = time.perf_counter()
        vm = self._ensure_vm()
        timings = vm.call("dut_begin", self._setup())
        assert self.packet_socket is not None
        link = TesterLink(self.packet_socket, vm.netns.tester_ifname, Recorder())
        bed = TestBed(link=link, dut=AgentDutApi(vm.agent), endpoints=endpoints_of(self.plan),
                      capabilities=self.capabilities, handle=vm)
        bed.evidence["drops"] = []
        bed.evidence["vm"] = {"pid": vm.agent.pid, **timings}  # qemu's
        bed.set_dut_sysctl = lambda key, value: self._set_sysctl(bed, key, value)
        bed.set_ipsec = lambda config: vm.call("ip_batch", xfrm.batch(config))
        bed.drop_reasons = lambda: self._drops_so_far(bed)
        bed.setup_s = time.perf_counter() - t0
        return bed

    def end_test(self, bed: TestBed) -> dict[str, Any]:
        """The test's evidence from inside the VM. Fails the test (AgentFailure) when the VM
        died during it or its kernel logged a warning or an oops (the lines are the message)."""
        vm: Vm = bed.handle
        evidence: dict[str, Any] = {"vm": bed.evidence["vm"]}
        try:
            if vm.agent.broken is not None:
                evidence["vm"]["failure"] = self._death(vm)
                return evidence  # a DUT call already failed the test, saying why
            if not vm.alive():
                raise AgentFailure(self._death(vm))
            try:
                found = vm.call("dut_end")
            except AgentFailure:
                raise AgentFailure(self._death(vm)) from None
        finally:
            bed.link.close()
        evidence["mib_deltas"] = found.get("mib_deltas", {})
        bed.evidence["drops"].extend(found.get("drop_reasons", []))
        evidence["drop_reasons"] = self._merged_drops(bed)
        if "sysctls" in bed.evidence:
            evidence["dut_sysctls"] = bed.evidence["sysctls"]
        problems = list(found.get("kernel_log", []))
        if problems:
            evidence["kernel_log"] = problems
            raise AgentFailure("the VM's kernel logged during the test:\n" + "\n".join(problems))
        return evidence

    def _death(self, vm: Vm) -> str:
        time.sleep(0.1)  # let qemu finish dying so its status is known
        lines = " | ".join(vm.console_tail().splitlines()[-6:])
        return (f"the VM ended during the test: {vm.agent.describe_end()}; "
                f"console: {lines or '(empty)'}")

    def _set_sysctl(self, bed: TestBed, key: str, value: str) -> None:
        bed.handle.call("set_sysctl", link_sysctl(key, NIC), value)
        bed.evidence.setdefault("sysctls", {})[key] = value

    def _drops_so_far(self, bed: TestBed) -> list[dict[str, Any]]:
        bed.evidence["drops"].extend(bed.handle.call("drop_reasons"))
        return self._merged_drops(bed)

    @staticmethod
    def _merged_drops(bed: TestBed) -> list[dict[str, Any]]:
        from conformance.evidence.drops import merge_drop_counts

        return merge_drop_counts(bed.evidence["drops"])

    # -- what the oracle follows ---------------------------------------------------------
    def oracle_profile(self) -> Profile:
        """The linux profile with the VM kernel's own choices (conformance.targets.vm_profile)."""
        facts = self.vm.facts if self.vm is not None else {}
        profile, self.choices_modelled = vm_profile.vm_profile(
            str(facts.get("kernel", "")), self._dut_sysctls, bool(facts.get("ipv6_ipsec")),
            bool(facts.get("xfrm4_tunnel")), bool(facts.get("ipv4_ipsec")), self.build_config,
            facts.get("virtio_net_napi_tx"))
        return profile

    def dut_sysctls(self) -> dict[str, str]:
        return dict(self._dut_sysctls)

    def dut_route(self) -> dict[str, dict[str, object]]:
        return dict(self._dut_route)

    def environment(self) -> dict[str, Any]:
        facts = self.vm.facts if self.vm is not None else {}
        return {
            "kernel": facts.get("kernel", self.kernel.version),
            "host_kernel": platform.release(),
            "kernel_image": str(self.kernel.image),
            "kernel_modules": str(self.kernel.modules) if self.kernel.modules else None,
            "accel": self.accel,
            "virtio_net_napi_tx": facts.get("virtio_net_napi_tx"),  # "N": sent skbs orphaned
            "esp": facts.get("esp"),  # esp4 and esp6 loaded: ESP tests run (has_esp)
            "crypto_rng": facts.get("crypto_rng"),  # drbg's stdrng, jitterentropy_rng, ...
            "crypto_rng_log": facts.get("crypto_rng_log"),  # why one of them is missing
            "vm_boot_s": round(self.boots_s[0], 3) if self.boots_s else None,
            # False: the oracle judges this kernel as 6.18 (its series is not analysed)
            "kernel_choices_modelled": self.choices_modelled,
            "sysctls": self.config.recorded_sysctls(),
            "setup_commands": list(self.config.setup_commands),
            "drop_reasons": facts.get("drop_reasons", "not started"),
        }
