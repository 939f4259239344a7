"""The run's DUT configuration is checked before the first test (issue 17, item 3): a sysctl
the kernel does not have or refuses, or a failing --dut-setup command, is one line naming it,
exit 2, and no test runs. A set-up error during a test is an ``error``, never ``xfailed``,
even for a test the expectations file lists."""

import os

import pytest

from .runner import netconform, results, write_suite

QUICK = '''
def test_quick(ex):
    ex.expect_nothing()
'''


@pytest.mark.parametrize("args, named", [
    (["--dut-sysctl", "net.ipv4.nosuch=1"], "net.ipv4.nosuch=1"),
    (["--dut-sysctl", "net.ipv4.tcp_sack=banana"], "net.ipv4.tcp_sack=banana"),
    (["--dut-sysctl", "net.ipv4.tcp_sack=0", "--dut-setup", "exit 3"], "exit 3"),
])
def test_bad_dut_configuration_is_one_line_exit_2_and_no_test_runs(tmp_path, args, named):
    suite = write_suite(tmp_path / "suite", QUICK)
    out = tmp_path / "out"
    proc = netconform("run", "--suite", str(suite), "--out", str(out), *args, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netconform: error:"), proc.stderr
    assert named in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (out / "results.json").exists()  # no test ran


def test_setup_error_during_a_test_is_error_even_when_listed_as_expected(tmp_path):
    """The first DUT namespace (the up-front check's) takes the command; every later one
    fails it, so the test's own bed cannot be built."""
    suite = write_suite(tmp_path / "suite", QUICK)
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / "linux.toml").write_text('[[xfail]]\ntest = "*"\nreason = "listed on purpose"\n')
    env = dict(os.environ, NETCONFORM_EXPECTATIONS=str(exp))
    out = tmp_path / "out"
    proc = netconform("run", "--suite", str(suite), "--out", str(out),
                      "--dut-setup", f"mkdir {tmp_path}/once", env=env, timeout=120)
    (test,) = results(out)["tests"]
    assert test["outcome"] == "error", test
    assert "--dut-setup" in test["message"] and "once" in test["message"]
    assert proc.returncode == 1, proc.stdout + proc.stderr
