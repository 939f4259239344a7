"""The ``lwip`` target through the real ``netconform`` command: a smoke subset of the suites
runs as its expectations say, every test gets its own lwIP process, and a crash or hang of
that process fails the test using it (and only that test) with a clear message.

liblwip0, liblwip-dev and gcc come from .ci/install-system-deps; without them this file skips."""

import os

import pytest

from conformance.targets import lwip_build

from .runner import agent_faults_suite, netconform, results, write_suite

pytestmark = pytest.mark.skipif(bool(lwip_build.missing_pieces()),
                                reason="lwIP or gcc missing (.ci/install-system-deps)")

SMOKE = [
    "suites/icmp/test_echo.py",
    "suites/udp/test_delivery.py",
    "suites/tcp/test_data_both_ways.py",
    "suites/ipv4/test_bad_version.py",  # lwIP itself must drop these, not the bridge before it
]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_smoke_subset_runs_as_expected(tmp_path):
    out = tmp_path / "out"
    args = ["run", "--target", "lwip", "--out", str(out)]
    for suite in SMOKE:
        args += ["--suite", suite]
    proc = netconform(*args)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = results(out)
    assert data["target"] == "lwip"
    assert data["environment"]["lwip"] == "2.1.3"
    assert 0 < data["environment"]["lwip_startup_s"] < 30
    outcomes = {t["id"]: t["outcome"] for t in data["tests"]}
    # lwIP runs here without IPv6: a test's IPv6 and IPv4-mapped runs are skipped
    ipv6_runs = {i for i in outcomes if "ipv6" in i or "ipv4-mapped" in i}
    assert ipv6_runs and {outcomes.pop(i) for i in ipv6_runs} == {"skipped"}
    assert len(outcomes) >= 5 and set(outcomes.values()) == {"passed"}, outcomes
    pids = [t["lwip"]["pid"] for t in data["tests"] if t["outcome"] != "skipped"]
    assert len(set(pids)) == len(pids), "each test has its own lwIP process"
    assert not any(pid_alive(pid) for pid in pids), "an lwIP process outlived the run"
    bad_versions = [t for t in data["tests"] if "test_bad_version" in t["id"]]
    assert bad_versions and all(
        t["lwip"]["counter_deltas"].get("rx.frames", 0) >= 1 for t in bad_versions
    ), "malformed datagrams must reach lwIP (the shim counts the frames it hands over)"


def test_crash_or_hang_fails_only_that_test(tmp_path):
    suite = write_suite(tmp_path / "suite", agent_faults_suite("lwip"),
                        name="test_lwip_faults.py")
    out = tmp_path / "out"
    proc = netconform("run", "--target", "lwip", "--suite", str(suite), "--out", str(out))
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    tests = {t["id"].rsplit("::", 1)[1]: t for t in results(out)["tests"]}
    killed_in_call = tests["test_1_killed_during_a_call"]
    assert killed_in_call["outcome"] == "failed"
    assert "killed by SIGKILL" in killed_in_call["message"]
    # lwIP replies synchronously: the lockstep's echo barrier finds the process gone, and the
    # test fails there (pytcp's, judged after a quiet period, errs at its teardown instead).
    killed_between = tests["test_2_killed_between_calls"]
    assert killed_between["outcome"] == "failed"
    assert "lwip process ended during the test" in killed_between["message"]
    assert "killed by SIGKILL" in killed_between["message"]
    hung = tests["test_3_hung"]
    assert hung["outcome"] == "failed"
    assert "did not answer within" in hung["message"]
    assert tests["test_4_next_test_gets_a_fresh_process"]["outcome"] == "passed"
    assert not any(pid_alive(t["lwip"]["pid"]) for t in tests.values() if "lwip" in t)


def test_listed_as_available():
    proc = netconform("targets")
    assert proc.returncode == 0
    (line,) = [line for line in proc.stdout.splitlines() if line.startswith("lwip ")]
    assert "available" in line and "unavailable" not in line
