"""Parsers and dissect raise nothing but WireError on random and mutated input."""

from hypothesis import given, settings
from hypothesis import strategies as st
from wire_fuzzing import PARSERS, fuzz, random_inputs

from reference_stack.wire.errors import WireError
from reference_stack.wire.frame import dissect


def test_seeded_random_and_mutated_inputs():
    assert fuzz(count=4000, seed=1) == 4000


def test_mutated_inputs_reach_the_transport_layer():
    """The mutation corpus must actually exercise L4 parsing and its failures."""
    results = [dissect(data) for data in random_inputs(2000, seed=2)]
    assert sum(r.tcp is not None for r in results) > 50
    assert sum(r.udp is not None for r in results) > 50
    assert sum(r.icmpv4 is not None for r in results) > 50
    assert sum(r.arp is not None for r in results) > 50
    assert any(r.error and r.error.startswith("tcp:") for r in results)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=100))
def test_parsers_raise_only_wire_error(data):
    for parse in PARSERS:
        try:
            parse(data)
        except WireError as e:
            assert e.reason
    assert dissect(data) is not None
