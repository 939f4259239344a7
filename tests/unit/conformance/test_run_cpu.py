"""tests/bench/run_cpu.py counts the CPU of a command's orphans too."""

from __future__ import annotations

import os

import pytest

from tests.bench import run_cpu

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not (run_cpu.CPUACCT / "tasks").exists(),
                                reason="needs root and cgroup v1 cpuacct")

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4: pass"


def test_an_orphans_cpu_is_counted_after_the_command_ended():
    result = run_cpu.run(["sh", "-c", f'python3 -c "{BURN}" & exit 0'], "orphan")
    assert result["exit"] == 0 and result["processes_left"] == 0
    assert result["cpu_s"] >= 0.35  # (sh itself exits at once: the orphan's CPU)


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        run_cpu.main(["--"])
    assert exc.value.code == 2
