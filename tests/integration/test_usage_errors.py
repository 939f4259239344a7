"""Bad input gets one clear line on stderr and exit code 2, never a traceback."""

import pytest

from .runner import netconform


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["run", "--target", "nosuchstack"], "unknown target"),
        (["run", "-n", "-1"], "-n must be"),
        (["run", "--suite", "/nonexistent/suite"], "no such file"),
        (["run", "--dut-sysctl", "novalue"], "NAME=VALUE"),
        (["run", "--bogus-option"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
        (["gate", "--accept", "ok.toml", "--baseline", "a.json", "b.json"],
         "--accept goes with --behaviour"),
        (["gate", "--behaviour", "--baseline", "/nonexistent/a.json", "b.json"],
         "no such file"),
        (["diff", "/nonexistent/a.json", "b.json"], "no such file"),
        (["diff", "a.json"], "CANDIDATE.json"),
    ],
)
def test_usage_error_is_one_line_exit_2(args, fragment):
    proc = netconform(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netconform: error:"), proc.stderr
    assert fragment in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("kind", ["requirements", "expectations"])
def test_malformed_data_file_is_one_line_exit_2(tmp_path, kind):
    (tmp_path / "linux.toml").write_text("this is [not toml")
    env_var = {"requirements": "NETCONFORM_REQUIREMENTS",
               "expectations": "NETCONFORM_EXPECTATIONS"}[kind]
    import os

    env = dict(os.environ, **{env_var: str(tmp_path)})
    proc = netconform("run", "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not valid TOML" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_targets_lists_linux_as_available():
    proc = netconform("targets")
    assert proc.returncode == 0
    assert any(line.startswith("linux") and "available" in line
               for line in proc.stdout.splitlines())


def test_a_refinement_of_no_catalogue_requirement_is_one_line_exit_2(tmp_path):
    import os
    import shutil

    from conformance.requirements.catalogue import DEFAULT_DIR

    shutil.copytree(DEFAULT_DIR, tmp_path / "req", ignore=shutil.ignore_patterns("*.py"))
    with open(tmp_path / "req" / "linux.toml", "a") as f:
        f.write("\n[[refinement]]\nid = 'LINUX-fn-new'\nrefines = 'RFC9293-9.9-MUST-nothing'\n"
                "function = 'fn'\ntext = 't'\n")
    env = dict(os.environ, NETCONFORM_REQUIREMENTS=str(tmp_path / "req"))
    proc = netconform("run", "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "not in the catalogue" in proc.stderr
    assert "Traceback" not in proc.stderr
