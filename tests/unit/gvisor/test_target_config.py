"""The gvisor target's pure parts: the sandbox's OCI spec, the runsc command line (the
/proc/sys/net/core mask, the measured flags), the DUT kernel's drop rule, the state folder the
reaper owns, and the agent's dispatch of DUT calls onto real sockets (in this process)."""

import errno
import json
import os
import shutil
import socket
import subprocess

import pytest

from conformance.dut.socket_calls import SocketCalls, handle
from conformance.fabric import reaper
from conformance.fabric.naming import WorkerPlan, parse_name
from conformance.targets import gvisor


def test_spec_joins_the_dut_namespace_by_path_on_the_hosts_root_read_only():
    spec = gvisor.sandbox_spec("/run/netns/nc-beef-1-d5", "/cache/nc/nc-gvisor-agent-0123")
    (net,) = [ns for ns in spec["linux"]["namespaces"] if ns["type"] == "network"]
    assert net["path"] == "/run/netns/nc-beef-1-d5", "no path: runsc makes an empty netns"
    assert spec["root"] == {"path": "/", "readonly": True}
    assert spec["process"]["args"] == ["/cache/nc/nc-gvisor-agent-0123"]
    # The sandbox's /tmp is a tmpfs: the agent's folder is bound in again (a cache in /tmp).
    mounts = [m["destination"] for m in spec["mounts"]]
    assert mounts.index("/cache/nc") > mounts.index("/tmp")
    json.dumps(spec)  # it is written as config.json


def test_the_agent_is_built_once_per_source(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if shutil.which("gcc") is None or not gvisor.LIBC_STATIC.exists():
        pytest.skip("no gcc or static libc to build the agent with")
    path = gvisor.build_agent()
    assert path == str(gvisor.agent_path()) and path.startswith(str(tmp_path))
    first = os.stat(path).st_mtime_ns
    assert gvisor.build_agent() == path and os.stat(path).st_mtime_ns == first  # cached
    ready = subprocess.run([path], input=b"", capture_output=True, timeout=10).stdout
    assert json.loads(ready.splitlines()[0])["ready"] is True


def test_runsc_runs_in_the_dut_namespace_with_proc_sys_net_core_masked():
    argv = gvisor.runsc_argv("nc-beef-1-d5", "/run/x", "/run/x/b", "nc-beef-1-d5")
    assert argv[:4] == ["ip", "netns", "exec", "nc-beef-1-d5"]
    script = argv[argv.index("-c") + 1]
    assert "mount -t tmpfs" in script and "/proc/sys/net/core" in script and "exec" in script
    run = argv.index("run")
    for flag in ("--network=sandbox", "--platform=ptrace", "--ignore-cgroups",
                 "--rx-checksum-offload=false", "--gso=false", "--software-gso=false"):
        assert flag in argv[:run]
    assert argv[run:] == ["run", "--bundle", "/run/x/b", "nc-beef-1-d5"]


def test_the_script_masks_then_runs_the_rest():
    """The mask is a plain mount in the command's mount namespace (ip netns exec makes one),
    then the shell passes the rest on to exec; a mount that fails stops the launch."""
    for mount, ran in (("true", "exec'd\n"), ("false", "")):
        script = gvisor.LAUNCH_SCRIPT.replace("mount -t tmpfs nc-mask /proc/sys/net/core", mount)
        out = subprocess.run(["sh", "-c", script, "sh", "echo", "exec'd"],
                             capture_output=True, text=True)
        assert out.stdout == ran


def test_state_folder_is_a_harness_name_under_the_reapers_folder():
    plan = WorkerPlan("beef", 3)
    root = gvisor.runsc_root(plan)
    parent, stem = root.rsplit("/", 1)
    assert parent == reaper.RUNSC_STATE_DIR
    assert parse_name(f"{stem}-t") == ("beef", "3")


def reaper_sees_only(monkeypatch, runsc_dir, tmp_dir) -> None:
    """The reaper as root, with its folders here, no namespace or link, and run a11e alive."""
    monkeypatch.setattr(reaper, "RUNSC_STATE_DIR", str(runsc_dir))
    monkeypatch.setattr(reaper.tempfile, "gettempdir", lambda: str(tmp_dir))
    monkeypatch.setattr(reaper.os, "geteuid", lambda: 0)
    monkeypatch.setattr(reaper.netns, "list_named", lambda: [])
    monkeypatch.setattr(reaper, "_stale_links", lambda: [])
    monkeypatch.setattr(reaper.ownership, "registered", lambda: [])
    monkeypatch.setattr(reaper.ownership, "is_alive", lambda run, worker: run == "a11e")


def test_reaper_removes_a_dead_runs_state_folder_only(tmp_path, monkeypatch):
    reaper_sees_only(monkeypatch, tmp_path, tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    for stem in ("nc-dead-1", "nc-a11e-1"):
        (tmp_path / stem / "bundle").mkdir(parents=True)
    removed = reaper.reap()
    assert removed["state_dirs"] == ["nc-dead-1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nc-a11e-1", "tmp"]


def test_agent_dispatches_calls_onto_real_sockets_in_its_own_namespace():
    api = SocketCalls()
    try:
        made = handle(api, {"id": 1, "call": "socket",
                            "args": [socket.AF_INET, socket.SOCK_DGRAM, 0]})
        assert made["errno"] == 0 and made["id"] == 1
        fd = made["value"]
        bound = handle(api, {"id": 2, "call": "bind", "args": [fd, ["127.0.0.1", 0]]})
        assert bound == {"id": 2, "value": None, "errno": 0}
        name = handle(api, {"id": 3, "call": "getsockname", "args": [fd]})
        assert name["value"][0] == "127.0.0.1"
        unknown_fd = handle(api, {"id": 4, "call": "close", "args": [fd + 1000]})
        assert unknown_fd["errno"] == errno.EBADF
        assert handle(api, {"id": 5, "call": "frobnicate"})["errno"] == errno.ENOSYS
        assert handle(api, {"id": 6, "call": "_sock", "args": [fd]})["errno"] == errno.ENOSYS
        assert handle(api, {"id": 7, "call": "close_all"})["errno"] == 0
        assert api.sockets == {}
    finally:
        api.close_all()


def test_unavailable_names_the_missing_package(monkeypatch):
    monkeypatch.setattr(gvisor.shutil, "which", lambda name: None if name == "runsc" else name)
    assert "Debian package runsc" in gvisor.GvisorTarget.unavailable_reason()


def test_mib_counters_are_flat_group_dot_name():
    texts = {"snmp": "Ip: Forwarding InReceives\nIp: 2 7\nTcp: InSegs OutRsts\nTcp: 5 1\n"}
    counters = gvisor.flat_counters(texts)
    assert counters == {"Ip.Forwarding": 2, "Ip.InReceives": 7, "Tcp.InSegs": 5,
                        "Tcp.OutRsts": 1}
