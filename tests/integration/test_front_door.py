"""The README's two commands work as written on stock Debian, where the system Python refuses
installs outside a virtual environment (PEP 668's EXTERNALLY-MANAGED marker) (issue 17,
item 1): in a scratch copy of the working tree, with only /usr/bin and /bin on PATH (so
``python3`` is Debian's), the first line makes .venv, installs into it and runs the suites
against the running kernel into an HTML report; the second runs tox from that venv.

The first line runs with ``--suite`` narrowed to one file and the second with ``-e lint``
(the whole suite and the whole tox run are what the rest of tox checks): each is the README's
line with arguments appended, never another command.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path

import pytest

from .runner import REPO

STOCK_PATH = "/usr/bin:/bin"


def readme_commands() -> list[str]:
    """The command lines of the README's "Two commands" block, comments removed."""
    text = (REPO / "README.md").read_text()
    section = text.split("## Two commands", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def stock_python_refuses_pip() -> str | None:
    """Why this machine cannot reproduce stock Debian's PEP 668 refusal, or None if it can."""
    env = {"PATH": STOCK_PATH, "HOME": "/nonexistent"}
    marker = subprocess.run(["python3", "-c", "import sysconfig; print(sysconfig.get_path("
                             "'stdlib'))"], capture_output=True, text=True, env=env, check=False)
    if marker.returncode != 0:
        return "no python3 in /usr/bin"
    if not Path(marker.stdout.strip(), "EXTERNALLY-MANAGED").exists():
        return "/usr/bin/python3 has no EXTERNALLY-MANAGED marker"
    refused = subprocess.run(["python3", "-m", "pip", "install", "--dry-run", "tox"],
                             capture_output=True, text=True, env=env, check=False)
    if "externally-managed-environment" not in refused.stdout + refused.stderr:
        return "pip does not refuse with externally-managed-environment"
    return None


@pytest.fixture(scope="module")
def scratch():
    why = stock_python_refuses_pip()
    if why:
        pytest.skip(why)
    with tempfile.TemporaryDirectory(prefix="nc-front-door-") as base:
        files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.split("\n")
        tar = subprocess.run(["tar", "-cf", "-", "-C", str(REPO), *[f for f in files if f and
                              (REPO / f).exists()]], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-xf", "-", "-C", base], input=tar, check=True)
        yield Path(base)


def run_line(line: str, cwd: Path, *extra: str, timeout: float) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(PATH=STOCK_PATH, HOME=str(cwd))
    return subprocess.run([*shlex.split(line), *extra], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_the_readme_names_two_commands_and_how_to_run_without_root():
    assert len(readme_commands()) == 2
    text = (REPO / "README.md").read_text().split("## Two commands", 1)[1]
    assert "Not root?" in text.split("##", 1)[0]


def test_the_two_commands_work_where_pip_refuses_the_system_python(scratch):
    first, second = readme_commands()
    proc = run_line(first, scratch, "--suite", "suites/tcp/test_closed_port.py", timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    venv_python = scratch / ".venv" / "bin" / "python"
    base = subprocess.run([str(venv_python), "-c", "import sys; print(sys.base_prefix)"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert base == "/usr", base  # made from Debian's python3, the one that refuses pip
    out = scratch / "netconform-out"
    assert (out / "results.json").exists() and (out / "index.html").stat().st_size > 1000
    lint = run_line(second, scratch, "-e", "lint", timeout=900)
    assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-3000:]
    assert "lint: OK" in lint.stdout
