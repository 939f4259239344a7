"""The ``pytcp`` target through the real ``netconform`` command: a smoke subset of the suites
passes as its expectations say, every test gets its own pytcp process, and a crash or hang of
that process fails the test using it (and only that test) with a clear message.

pytcp must be installed by the environment (tox deps); this file installs nothing."""

import os

import pytest

from .runner import agent_faults_suite, netconform, results, write_suite

pytest.importorskip("pytcp", reason="pytcp is not installed (pip install 'netconform[pytcp]')")

SMOKE = [
    "suites/icmp/test_echo.py",
    "suites/udp/test_delivery.py",
    "suites/tcp/test_data_both_ways.py",
    "suites/tcp/test_listen_rst.py",  # an expected failure of pytcp (expectations/pytcp.toml)
    "suites/ipv4/test_bad_version.py",  # pytcp itself must drop these, not the bridge before it
]



def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_smoke_subset_runs_as_expected(tmp_path):
    out = tmp_path / "out"
    args = ["run", "--target", "pytcp", "--out", str(out)]
    for suite in SMOKE:
        args += ["--suite", suite]
    proc = netconform(*args)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = results(out)
    assert data["target"] == "pytcp"
    assert data["environment"]["pytcp"].startswith("2.7.")
    assert 0 < data["environment"]["pytcp_startup_s"] < 30
    outcomes = {t["id"]: t["outcome"] for t in data["tests"]}
    # pytcp runs without IPv6: a test's IPv6 and IPv4-mapped runs are skipped
    ipv6_runs = {i for i in outcomes if "ipv6" in i or "ipv4-mapped" in i}
    assert ipv6_runs and {outcomes.pop(i) for i in ipv6_runs} == {"skipped"}
    assert outcomes.pop("suites/tcp/test_listen_rst.py::test_rst_to_listener_is_ignored[ipv4]"
                        ) == "xfailed"
    assert len(outcomes) >= 5 and set(outcomes.values()) == {"passed"}, outcomes
    pids = [t["pytcp"]["pid"] for t in data["tests"] if t["outcome"] != "skipped"]
    assert len(set(pids)) == len(pids), "each test has its own pytcp process"
    assert not any(pid_alive(pid) for pid in pids), "a pytcp process outlived the run"
    assert all(t["pytcp"]["startup_s"] > 0 for t in data["tests"] if t["outcome"] != "skipped")
    bad_versions = [t for t in data["tests"] if "test_bad_version" in t["id"]]
    assert bad_versions and all(
        t["pytcp"]["counter_deltas"].get("rx.ip4__failed_parse__drop") == 1 for t in bad_versions
    ), "malformed datagrams must reach pytcp and be dropped by it (its own counters say so)"
    rst = next(t for t in data["tests"] if "test_listen_rst" in t["id"])
    assert rst["pytcp"]["counter_deltas"]["rx.tcp__no_socket_match__respond_rst"] == 1


def test_crash_or_hang_fails_only_that_test(tmp_path):
    suite = write_suite(tmp_path / "suite", agent_faults_suite("pytcp"),
                        name="test_pytcp_faults.py")
    out = tmp_path / "out"
    proc = netconform("run", "--target", "pytcp", "--suite", str(suite), "--out", str(out))
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    tests = {t["id"].rsplit("::", 1)[1]: t for t in results(out)["tests"]}
    killed_in_call = tests["test_1_killed_during_a_call"]
    assert killed_in_call["outcome"] == "failed"
    assert "killed by SIGKILL" in killed_in_call["message"]
    killed_between = tests["test_2_killed_between_calls"]
    assert killed_between["outcome"] == "error"
    assert "pytcp" in killed_between["message"]
    assert "killed by SIGKILL" in killed_between["message"]
    hung = tests["test_3_hung"]
    assert hung["outcome"] == "failed"
    assert "did not answer within" in hung["message"]
    assert tests["test_4_next_test_gets_a_fresh_process"]["outcome"] == "passed"
    assert not any(pid_alive(t["pytcp"]["pid"]) for t in tests.values() if "pytcp" in t)


def test_listed_as_available():
    proc = netconform("targets")
    assert proc.returncode == 0
    (line,) = [line for line in proc.stdout.splitlines() if line.startswith("pytcp ")]
    assert "available" in line and "unavailable" not in line
