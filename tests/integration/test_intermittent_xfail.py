"""An expected failure whose entry is ``intermittent`` (a timing-dependent non-conformance,
conformance/judge/expectations.py) is not strict: when the test passes the run does not fail,
results.json says xpassed with the entry's ``xfail_intermittent``, and the gate notes it
without a regression; a strict entry's pass still fails the run and the gate."""

import os

from .runner import netconform, results, write_suite

PING = '''
from conformance.author.templates import ICMPv4, Payload

def test_echo_is_answered(ex):
    ex.send(ICMPv4(type=8, rest=0x00420003), Payload(b"ttl?"))
    ex.expect(ICMPv4(type=0, rest=0x00420003))
'''
TARGET = "reference-inproc"
EXPECTATIONS = "reference.toml"  # (the live reference target's file: targets/reference.py)


def run(tmp_path, name, expectations=""):
    suite = write_suite(tmp_path / "suite", PING)
    out = tmp_path / name
    d = tmp_path / f"exp-{name}"
    d.mkdir()
    (d / EXPECTATIONS).write_text(expectations)
    env = dict(os.environ, NETCONFORM_EXPECTATIONS=str(d))
    proc = netconform("run", "--target", TARGET, "--suite", str(suite), "--out", str(out),
                      "-n", "0", env=env)
    (test,) = results(out)["tests"]
    return proc, test, out / "results.json"


def entry(test_id, intermittent=None):
    text = f'[[xfail]]\ntest = "{test_id}"\nreason = "NON-CONFORMANCE: a race"\n'
    return text + (f'intermittent = "{intermittent}"\n' if intermittent else "")


def test_intermittent_entry_passing_is_not_a_failure_and_strict_one_is(tmp_path):
    _, first, _ = run(tmp_path, "probe")
    assert first["outcome"] == "passed"
    proc, test, flaky = run(tmp_path, "flaky", entry(first["id"], "failed 7 of 12"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert test["outcome"] == "xpassed" and test["xfail_intermittent"] == "failed 7 of 12"
    assert "1 xpassed (1 of them intermittent)" in proc.stdout
    proc, test, strict = run(tmp_path, "strict", entry(first["id"]))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert test["outcome"] == "xpassed" and test["xfail_intermittent"] is None
    assert test["message"].startswith("[XPASS(strict)]")
    # the gate: the intermittent pass is a note, the strict one a regression
    gate = netconform("gate", "--baseline", str(strict), str(flaky))
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert f"intermittent: {first['id']}" in gate.stdout
    assert "update the expectations file" not in gate.stdout
    gate = netconform("gate", "--baseline", str(flaky), str(strict))
    assert gate.returncode == 1 and "strict-xpassed" in gate.stdout, gate.stdout


def test_bad_intermittent_value_is_one_line_exit_2(tmp_path):
    suite = write_suite(tmp_path / "suite", PING)
    env = dict(os.environ, NETCONFORM_EXPECTATIONS=str(_bad(tmp_path)))
    proc = netconform("run", "--target", TARGET, "--suite", str(suite),
                      "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "intermittent is a text" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def _bad(tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    (d / EXPECTATIONS).write_text(entry("suites/x.py::test_a") + "intermittent = 3\n")
    return d
