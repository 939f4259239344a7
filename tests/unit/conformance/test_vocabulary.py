"""One requirement vocabulary: the oracle's rule ids are catalogue ids or profile refinements,
and a requirement leads to the functions applying it (issue 11, item 4). Pure and fast; the
run-time twin is tests/integration/test_rule_vocabulary.py."""

from __future__ import annotations

import errno
import textwrap

import pytest

from conformance.judge.matching import CALL_RULES, compare_call
from conformance.requirements import catalogue, rule_sources, vocabulary
from conformance.requirements.rule_sources import Site
from reference_stack.stack import CallResult

REQ = "[[requirement]]\nid='{id}'\nsection='1'\nlevel='{level}'\ntext='t'\n"
REF = "[[refinement]]\nid='{id}'\nrefines='{refines}'\nfunction='f'\ntext='t'\n"


def test_every_rule_id_literal_in_reference_stack_is_in_the_vocabulary():
    vocab = catalogue.load_vocabulary()
    literals = rule_sources.literals()
    assert len(literals) >= 150
    unknown = {rid: where for rid, where in literals.items() if rid not in vocab}
    assert not unknown, (
        "rule ids in reference_stack/ that are neither catalogue requirements nor "
        f"refinements (suites/requirements/): {unknown}")


def test_a_socket_call_divergence_is_recorded_against_a_catalogue_id():
    """The judge's call comparison names the user command (RFC 9293 3.9.1) a call implements:
    a divergent getsockopt or poll is a rule id of the vocabulary like every other."""
    vocab = catalogue.load_vocabulary()
    assert {"getsockopt", "poll", "recv", "send", "close", "connect"} <= set(CALL_RULES)
    assert not [rule for rule in CALL_RULES.values() if rule not in vocab]
    (div,) = compare_call("poll", (None, errno.EBADF), CallResult(1))
    assert div.rule == "RFC9293-3.9.1.10-MAY-status" and div.rule in vocab


def test_every_refinement_is_recorded_by_the_oracle():
    """A refinement nobody records is stale (strict, as the expectations are)."""
    index = rule_sources.index()
    stale = [rid for rid in catalogue.load_vocabulary().refinements if rid not in index]
    assert not stale, stale


def test_every_oracle_rule_has_a_site_and_every_site_a_rule():
    index = rule_sources.index()
    assert set(index) == set(rule_sources.literals())
    assert all(index.values()), [rid for rid, sites in index.items() if not sites]


def test_the_issue_example_leads_from_the_requirement_to_its_function():
    rules = vocabulary.requirements_json()["RFC9293-3.10.7.4-MUST-first-check"]["rules"]
    own = next(rule for rule in rules if rule["kind"] == "requirement")
    assert {"module": "reference_stack.tcp.segment_arrival",
            "function": "synchronized"} in own["sites"]
    refinements = {rule["id"]: rule for rule in rules if rule["kind"] == "refinement"}
    assert refinements["LINUX-tcp_data_queue-duplicate"]["function"] == "tcp_data_queue"
    assert refinements["LINUX-tcp_data_queue-duplicate"]["sites"] == [
        {"module": "reference_stack.tcp.segment_arrival", "function": "_duplicate"}]


def _package(tmp_path, files: dict[str, str]):
    root = tmp_path / "stack"
    root.mkdir()
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
    return root


def test_sites_are_the_functions_holding_the_literal_or_using_its_constant(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": '"""Docstring naming RFC1-1-MUST-doc is not a rule."""\n',
        "rules.py": 'RULE = "RFC1-1-MUST-const"\nBY_ATTR = "RFC1-3-MUST-attr"\n'
                    'UNUSED = "RFC1-4-MUST-unused"\n',
        "other.py": """
            def late():
                from stack import rules
                return rules.BY_ATTR
            """,
        "user.py": """
            from .rules import RULE
            from .table import Arm

            def helper():
                return "SYN-SENT"  # a state name, not a rule

            class Layer:
                def receive(self, trace):
                    trace.add("x", "drop", "LINUX-fn-slug")
                    def inner():
                        return RULE
                    return inner

            TABLE = Arm(close=Arm("RFC1-2-MAY-armed"))
            """,
        "table.py": "class Arm:\n    def __init__(self, *a, **kw): pass\n",
    })
    index = rule_sources.index(root)
    assert index == {
        "LINUX-fn-slug": (Site("stack.user", "Layer.receive"),),
        "RFC1-1-MUST-const": (Site("stack.user", "Layer.receive.inner"),),
        "RFC1-2-MAY-armed": (Site("stack.user", "TABLE.close"),),
        "RFC1-3-MUST-attr": (Site("stack.other", "late"),),
        "RFC1-4-MUST-unused": (Site("stack.rules", "UNUSED"),),
    }
    assert set(rule_sources.literals(root)) == set(index)


def _vocab(tmp_path, rfc1: str, linux: str | None = None) -> catalogue.Vocabulary:
    (tmp_path / "rfc1.toml").write_text("rfc = 'RFC 1'\n" + rfc1)
    if linux is not None:
        (tmp_path / "linux.toml").write_text("profile = 'linux'\n" + linux)
    return catalogue.load_vocabulary(tmp_path)


def test_refinements_load_and_attach_to_the_requirement_they_refine(tmp_path):
    vocab = _vocab(tmp_path, REQ.format(id="RFC1-1-MUST-a", level="MUST"),
                   REF.format(id="LINUX-fn-b", refines="RFC1-1-MUST-a"))
    assert "LINUX-fn-b" in vocab and "RFC1-1-MUST-a" in vocab and "LINUX-fn-c" not in vocab
    rules = vocabulary.requirement_rules(vocab, {"LINUX-fn-b": (Site("m", "f"),)})
    assert rules == {"RFC1-1-MUST-a": [{
        "id": "LINUX-fn-b", "kind": "refinement", "profile": "linux", "function": "f",
        "text": "t", "sites": [{"module": "m", "function": "f"}]}]}


@pytest.mark.parametrize("linux, message", [
    (REF.format(id="LINUX-fn-b", refines="RFC1-1-MUST-zzz"), "not in the catalogue"),
    (REF.format(id="PYTCP-fn-b", refines="RFC1-1-MUST-a"), "is not LINUX-<function>"),
    (REF.format(id="LINUX-Fn", refines="RFC1-1-MUST-a"), "is not LINUX-<function>"),
    ("[[refinement]]\nid='LINUX-fn-b'\nrefines='RFC1-1-MUST-a'\ntext='t'\n", "missing function"),
    (REF.format(id="RFC1-1-MUST-a", refines="RFC1-1-MUST-a"), "is not LINUX"),
])
def test_a_malformed_refinement_is_one_clear_error(tmp_path, linux, message):
    with pytest.raises(catalogue.CatalogueError, match=message):
        _vocab(tmp_path, REQ.format(id="RFC1-1-MUST-a", level="MUST"), linux)


@pytest.mark.parametrize("rfc1, message", [
    (REQ.format(id="RFC1-1-MUST-a", level="SHOULD"), "says MUST, level says SHOULD"),
    (REQ.format(id="RFC1-1-MUSTNOT-a", level="MUST NOT"), "is not RFC"),
    (REQ.format(id="RFC2-1-MUST-a", level="MUST"), "is not of RFC 1"),
    (REQ.format(id="RFC1-2.1-MUST-a", level="MUST"), "says section 2.1, section says 1"),
])
def test_a_requirement_id_spells_its_level_section_and_rfc(tmp_path, rfc1, message):
    with pytest.raises(catalogue.CatalogueError, match=message):
        _vocab(tmp_path, rfc1)


def test_negative_levels_and_ids_without_a_section_are_valid(tmp_path):
    vocab = _vocab(tmp_path, REQ.format(id="RFC1-MUST-NOT-a", level="MUST NOT")
                   + REQ.format(id="RFC1-1-SHOULD-NOT-b", level="SHOULD NOT"))
    assert set(vocab.requirements) == {"RFC1-MUST-NOT-a", "RFC1-1-SHOULD-NOT-b"}


def test_recorded_ids_are_read_from_decisions_divergences_and_findings(tmp_path):
    vocab = _vocab(tmp_path, REQ.format(id="RFC1-1-MUST-a", level="MUST"))
    results = {"tests": [{"oracle": [{"rule": "RFC1-1-MUST-a"}],
                          "divergences": [{"rule": "RFC1-9-MUST-div"}]}],
               "findings": [{"rule": "RFC1-9-MUST-found"}]}
    recorded = vocabulary.recorded_in_results(results)
    assert vocabulary.outside(recorded, vocab) == ["RFC1-9-MUST-div", "RFC1-9-MUST-found"]


def test_the_command_shows_a_requirements_rules_and_checks_a_results_file(tmp_path, capsys):
    assert vocabulary.main(["rules", "RFC9293-3.10.7.4-MUST-first-check"]) == 0
    out = capsys.readouterr().out
    assert ("RFC9293-3.10.7.4-MUST-first-check  [the requirement itself]  "
            "reference_stack.tcp.segment_arrival:synchronized") in out
    assert "LINUX-tcp_data_queue-duplicate  [linux refinement, models tcp_data_queue]" in out
    results = tmp_path / "results.json"
    results.write_text('{"tests": [{"oracle": [{"rule": "RFC9293-3.10.7.4-MUST-first-check"}, '
                       '{"rule": "RFC9293-9-MUST-unknown"}]}]}')
    assert vocabulary.main(["check", str(results)]) == 1
    assert "RFC9293-9-MUST-unknown is not in suites/requirements" in capsys.readouterr().out
    assert vocabulary.main(["rules", "RFC9293-9-MUST-unknown"]) == 2


def _rename_tool():
    import importlib.util

    path = catalogue.DEFAULT_DIR / "rename_ids.py"
    spec = importlib.util.spec_from_file_location("rename_ids", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_renamed_ids_lead_into_the_vocabulary_and_nothing_cites_an_old_one():
    tool = _rename_tool()
    table = tool.renames()
    vocab = catalogue.load_vocabulary()
    assert len(table) >= 80
    assert [new for new in table.values() if new not in vocab] == []
    assert [old for old in table if old in vocab] == []
    root = catalogue.DEFAULT_DIR.parents[1]
    paths = [str(root / name) for name in ("suites", "tests", "conformance", "reports",
                                           "fuzz", "reference_stack", "README.md")]
    assert tool.main(["--check", *paths]) == 0


def test_the_rename_tool_rewrites_old_ids_only_as_whole_ids(tmp_path):
    tool = _rename_tool()
    table = {"RFC1-1-MUST-a": "RFC1-1-MUST-b"}
    text = '"RFC1-1-MUST-a" RFC1-1-MUST-a-longer xRFC1-1-MUST-a RFC1-1-MUST-a.'
    assert tool.rewrite(text, table, tool.pattern(table)) == (
        '"RFC1-1-MUST-b" RFC1-1-MUST-a-longer xRFC1-1-MUST-a RFC1-1-MUST-b.')
