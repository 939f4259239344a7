"""Every verb works for a user who is not root, where unprivileged user namespaces are allowed
(issue 17, item 2): ``targets`` calls linux available (rootless), ``run``, ``fuzz`` and
``replay`` re-execute themselves in a user + network namespace (no PermissionError on
/run/netconform), ``report`` needs nothing, and what is unavailable there (kernel drop
reasons) is one line in the terminal and a banner in the report.

The user is ``nobody``, through ``setpriv``; it gets a copy of the repository in /tmp and a
Python it can run (Debian's /usr/bin/python3 in a venv that reads this venv's packages).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sysconfig
import tempfile
import time
from pathlib import Path

import pytest

from tests.timing import bound

from .runner import PROCESS_MARGIN, REPO, RUN_UP_IDLE_S, STOP_IDLE_S

SYSTEM_PYTHON = "/usr/bin/python3"
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
QUICK = '''
def test_quick(ex):
    ex.expect_nothing()
'''


def _userns_for_nobody() -> bool:
    probe = subprocess.run([*AS_NOBODY, "unshare", "--user", "--map-root-user", "--net", "true"],
                           capture_output=True, check=False)
    return probe.returncode == 0


def _packages_for_nobody(base: Path) -> str:
    """This venv's packages, where nobody can read them: in place, or a copy under ``base``
    when a folder on the way is root's alone (tox makes .tox/ mode 0700)."""
    purelib = sysconfig.get_paths()["purelib"]
    readable = subprocess.run([*AS_NOBODY, "test", "-r", purelib, "-a", "-x", purelib],
                              check=False).returncode == 0
    if readable:
        return purelib
    copy = base / "site-packages"
    shutil.copytree(purelib, copy, symlinks=True)
    return str(copy)


@pytest.fixture(scope="module")
def nobody(tmp_path_factory):
    """(python, repository copy) usable by nobody; removed afterwards."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None or not os.path.exists(SYSTEM_PYTHON):
        pytest.skip("needs root (to become nobody), setpriv and /usr/bin/python3")
    if not _userns_for_nobody():
        pytest.skip("unprivileged user namespaces are not allowed here")
    base = Path(tempfile.mkdtemp(prefix="nc-rootless-", dir="/tmp"))
    try:
        files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                               capture_output=True, check=True).stdout.split(b"\0")
        repo = base / "repo"
        for name in filter(None, files):
            src = REPO / os.fsdecode(name)
            if src.is_file():
                (repo / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, repo / os.fsdecode(name))
        venv = base / "venv"
        subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
        site = venv / "lib" / "python3.11" / "site-packages"
        (site / "netconform-deps.pth").write_text(
            f"import site; site.addsitedir({_packages_for_nobody(base)!r})\n")
        subprocess.run(["chmod", "-R", "a+rX", str(base)], check=True)
        os.chmod(repo, 0o777)
        yield str(venv / "bin" / "python"), repo
    finally:
        shutil.rmtree(base, ignore_errors=True)


def as_nobody(nobody, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    python, repo = nobody
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo), "LANG": "C.UTF-8"}
    return subprocess.run([*AS_NOBODY, python, "-m", "conformance.cli.main", *args],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=timeout)


def test_targets_calls_linux_available_rootless(nobody):
    proc = as_nobody(nobody, "targets")
    assert proc.returncode == 0, proc.stderr
    lines = {line.split()[0]: line for line in proc.stdout.splitlines()}
    for name in ("linux", "reference"):
        assert "available (rootless" in lines[name] and "needs root" not in lines[name]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_run_and_report_say_what_is_unavailable(nobody, workers):
    _, repo = nobody
    (repo / "quick").mkdir(exist_ok=True)
    (repo / "quick" / "test_quick.py").write_text(QUICK)
    out = f"out-{workers}"
    proc = as_nobody(nobody, "run", "-n", workers, "--suite", "quick/test_quick.py",
                     "--out", out)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    notes = [line for line in proc.stdout.splitlines() if "drop reasons unavailable" in line]
    assert len(notes) == 1, proc.stdout
    results = json.loads((repo / out / "results.json").read_text())
    assert results["summary"]["passed"] == 1
    html = (repo / out / "index.html").read_text()
    assert 'class="banner"' in html and "kernel drop reasons unavailable" in html
    report = as_nobody(nobody, "report", f"{out}/results.json", "--out", f"{out}-report")
    assert report.returncode == 0, report.stderr
    assert "kernel drop reasons unavailable" in (repo / f"{out}-report" / "index.html").read_text()


def test_fuzz_and_replay_run_rootless(nobody, tmp_path):
    _, repo = nobody
    proc = as_nobody(nobody, "fuzz", "--budget", "2", "--seed", "3", "--out", "fz")
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert (repo / "fz" / "results.json").exists()
    finding = linux_finding(repo / "finding")
    replayed = as_nobody(nobody, "replay", str(finding))
    assert replayed.returncode in (0, 1), replayed.stdout[-2000:] + replayed.stderr[-2000:]
    assert "Traceback" not in replayed.stderr and "PermissionError" not in replayed.stderr


def linux_finding(where: Path) -> Path:
    """A finding of the linux target: one saved from the in-process reference stack with a
    planted bug (tests/fuzz/test_findings_and_replay.py), relabelled as linux's."""
    from conformance.fabric.namespaces import DutConfig
    from conformance.fabric.naming import WorkerPlan, new_run_id
    from conformance.targets.reference import InprocReferenceTarget
    from fuzz.runner import Campaign
    from reference_stack.profiles import LINUX
    from tests.fuzz.test_findings_and_replay import PLANTED, in_window_rst

    target = InprocReferenceTarget(WorkerPlan(new_run_id(), 0), DutConfig(),
                                   LINUX.breaking(PLANTED))
    target.start()
    try:
        campaign = Campaign(target, where, seed=1, budget_s=30, engine="test", progress=None)
        with campaign.batch() as session:
            finding = campaign.observe(session.run_case("ESTABLISHED",
                                                        (in_window_rst(session, 3),)))
    finally:
        target.stop()
    path = where / "findings" / finding.id
    meta = json.loads((path / "finding.json").read_text())
    meta["target"].update(name="linux", broken_rules=[])
    (path / "finding.json").write_text(json.dumps(meta))
    subprocess.run(["chmod", "-R", "a+rwX", str(where)], check=True)
    return path


HANGING = '''
import os, time

def test_a(ex):
    ex.expect_nothing()

def test_b(ex):
    open(os.path.join(os.environ["HOME"], "hang-mark"), "w").close()
    time.sleep(120)
'''


def test_sigint_to_a_rootless_run_reaches_the_run_inside(nobody):
    """The unprivileged parent passes the signal on to the re-executed run (its own process
    group), which stops and marks its results incomplete."""
    python, repo = nobody
    (repo / "hang").mkdir(exist_ok=True)
    (repo / "hang" / "test_hang.py").write_text(HANGING)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo), "LANG": "C.UTF-8"}
    proc = subprocess.Popen([*AS_NOBODY, python, "-m", "conformance.cli.main", "run", "--suite",
                             "hang/test_hang.py", "--out", "hang-out"], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + bound(RUN_UP_IDLE_S, PROCESS_MARGIN)
    while not (repo / "hang-mark").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"the run never reached its hanging test: {proc.communicate()[0]}")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=bound(STOP_IDLE_S, PROCESS_MARGIN))
    assert proc.returncode == 2, output
    doc = json.loads((repo / "hang-out" / "results.json").read_text())
    assert doc["complete"] is False and doc["incomplete_reason"] == "stopped by SIGINT"
