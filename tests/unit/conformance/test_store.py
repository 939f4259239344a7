"""The per-target store of analysed differences (conformance.judge.store): entries match by
rule, state, field, response class and a small vocabulary over the dissected frames, or by an
analysis function of the target's own; malformed files are rejected with the entry's number."""

import pytest

from conformance.judge import store
from conformance.judge.divergence import Divergence
from conformance.judge.expectations import ExpectationsError
from conformance.judge.store import Context
from fuzz.frames import FrameFactory
from fuzz.strategies import LinkAddresses
from reference_stack.wire.tcp import ACK, ECE, SYN, TcpOptTimestamps

TESTER = FrameFactory(LinkAddresses.from_text("02:00:00:00:00:02", "02:00:00:00:00:01",
                                              "198.18.0.2", "198.18.0.1"))
DUT = FrameFactory(LinkAddresses.from_text("02:00:00:00:00:01", "02:00:00:00:00:02",
                                           "198.18.0.1", "198.18.0.2"))
SYN_TS = TESTER.tcp(40000, 80, SYN, 1, options=(TcpOptTimestamps(5, 0),))
SYN_ACK_ECE = DUT.tcp(80, 40000, SYN | ACK | ECE, 7, 2)


def load(tmp_path, text, analyses=None):
    (tmp_path / "t.toml").write_text(text)
    return store.load("t", tmp_path, analyses)


def ctx(rule="R", state="LISTEN", response="field:tcp", sent=SYN_TS, answers=(SYN_ACK_ECE,)):
    return Context(rule, state, response, (), sent, None, answers)


@pytest.mark.parametrize(("frame", "matches"), [
    ('"sent.tcp.flags" = "S"', True),
    ('"sent.tcp.flags" = ["R", "S"]', True),
    ('"sent.tcp.flags" = "S."', False),
    ('"sent.tcp.flags_set" = "S"', True),
    ('"sent.tcp.flags_clear" = "S"', False),
    ('"answer.tcp.flags_set" = "S.E"', True),
    ('"sent.tcp.options" = "TcpOptTimestamps"', True),
    ('"sent.tcp.options" = "TcpOptMss"', False),
    ('"sent.tcp.payload" = ""', True),
    ('"sent.tcp.dst_port" = 80', True),
    ('"answer.icmpv4.code" = 0', False),  # no such layer in the answers
    ('"sent.tcp" = "present"', True),
])
def test_frame_field_vocabulary(tmp_path, frame, matches):
    entries = load(tmp_path, f'[[divergence]]\nframe = {{ {frame} }}\nreason = "why"\n')
    assert (entries.explain_case(ctx()) == "why") is matches


def test_every_key_must_match_and_lists_mean_any_of(tmp_path):
    entries = load(tmp_path, '[[divergence]]\nrule = ["R", "Q"]\nstate = "LISTEN"\n'
                             'response = "field:tcp"\nreason = "why"\n')
    assert entries.explain_case(ctx()) == "why"
    assert entries.explain_case(ctx(rule="Q")) == "why"
    assert entries.explain_case(ctx(state="ESTABLISHED")) is None
    assert entries.explain_case(ctx(response="missing:tcp:.")) is None


def test_an_entry_with_a_test_id_is_for_the_suites_only(tmp_path):
    entries = load(tmp_path, '[[divergence]]\ntest = "a.py::t"\nrule = "R"\nreason = "why"\n')
    assert entries.explain_case(ctx()) is None
    explained, stale = entries.explain_test("a.py::t", [Divergence("field", "f", "1", "2", "R")])
    assert explained[0].reason == "why" and stale == []


SAMPLE_ANALYSES = "tests.unit.conformance.sample_analyses"


def test_analyses_come_from_the_targets_module_by_id(tmp_path):
    text = '[[divergence]]\nanalysis = "answered-with-ece"\nreason = "why"\n'
    with pytest.raises(ExpectationsError, match="has none"):
        load(tmp_path, text)
    entries = load(tmp_path, text, SAMPLE_ANALYSES)
    assert entries.explain_case(ctx()) == "why"
    assert entries.explain_case(ctx(answers=(DUT.tcp(80, 40000, SYN | ACK, 7, 2),))) is None
    with pytest.raises(ExpectationsError, match="unknown analysis nope"):
        load(tmp_path, '[[divergence]]\nanalysis = "nope"\nreason = "r"\n', SAMPLE_ANALYSES)


@pytest.mark.parametrize("text", [
    '[[divergence]]\nrule = 3\nreason = "r"\n',
    '[[divergence]]\nframe = { "tcp.flags" = "S" }\nreason = "r"\n',
    '[[divergence]]\nrule = "R"\n',
    'not toml [',
])
def test_malformed_entries_are_rejected(tmp_path, text):
    with pytest.raises(ExpectationsError):
        load(tmp_path, text)


def test_the_shipped_stores_load():
    for target in ("linux", "pytcp", "reference"):
        store.load(target)
