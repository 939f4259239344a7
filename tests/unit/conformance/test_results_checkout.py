"""results.json names the checkout its run came from (``checkout``: the commit, and whether
the work tree had changes), once at the start; nothing, and no error, outside a git checkout."""

import re
import subprocess

from conformance.cli.results import PROJECT_DIR, ResultsCollector, checkout_of
from reports.model import validate_results


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                           *args], capture_output=True, text=True, check=True).stdout.strip()


def test_the_commit_and_whether_the_tree_is_dirty(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "a.py").write_text("x = 1\n")
    git(tmp_path, "add", "a.py")
    git(tmp_path, "commit", "-q", "-m", "one")
    assert checkout_of(tmp_path) == {"commit": git(tmp_path, "rev-parse", "HEAD"),
                                     "dirty": False}
    (tmp_path / "a.py").write_text("x = 2\n")
    assert checkout_of(tmp_path)["dirty"] is True
    git(tmp_path, "checkout", "-q", "a.py")
    (tmp_path / "new.py").write_text("")  # an untracked file counts: the run may import it
    assert checkout_of(tmp_path)["dirty"] is True


def test_not_a_git_checkout_is_none(tmp_path):
    assert checkout_of(tmp_path) is None


def test_a_folder_inside_another_repository_is_none(tmp_path):
    # (an installed package in a virtual environment kept inside some repository)
    git(tmp_path, "init", "-q")
    (tmp_path / "site-packages").mkdir()
    assert checkout_of(tmp_path / "site-packages") is None


def test_without_git_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git program
    assert checkout_of(tmp_path) is None


def test_the_run_records_it():
    doc = ResultsCollector("linux", ["netconform", "run"], "0.1").to_dict({})
    if (PROJECT_DIR / ".git").exists():  # this checkout is a git one (a worktree: a file)
        assert re.fullmatch(r"[0-9a-f]{40}", doc["checkout"]["commit"])
        assert isinstance(doc["checkout"]["dirty"], bool)
    else:
        assert doc["checkout"] is None
    assert validate_results(doc)["checkout"] == doc["checkout"]
