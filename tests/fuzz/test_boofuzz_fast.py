"""fuzz/boofuzz_fast.py gives what boofuzz's own classes give: the same octets for every
mutation of the boofuzz engine's models, and the same number of mutations."""

from __future__ import annotations

import boofuzz
import pytest
from boofuzz.constants import BIG_ENDIAN, LITTLE_ENDIAN
from boofuzz.mutation_context import MutationContext
from hypothesis import given
from hypothesis import strategies as st

from fuzz import boofuzz_engine, boofuzz_fast
from fuzz.strategies import LinkAddresses

ADDRS = LinkAddresses.from_text("02:00:00:00:00:01", "02:00:00:00:00:02", "198.18.0.1",
                                "198.18.0.2")
PAIRS = ((boofuzz_fast.Byte, boofuzz.Byte), (boofuzz_fast.Word, boofuzz.Word),
         (boofuzz_fast.DWord, boofuzz.DWord))


@given(st.integers(-(1 << 40), 1 << 40), st.sampled_from((BIG_ENDIAN, LITTLE_ENDIAN)))
def test_an_integer_encodes_as_boofuzz_encodes_it(value, endian) -> None:
    for fast, own in PAIRS:
        assert fast("f", endian=endian).encode(value, None) == own("o", endian=endian).encode(
            value, None)


def test_other_values_and_formats_are_boofuzz_own() -> None:
    for fast, own in PAIRS:
        assert fast("f", output_format="ascii").encode(300, None) == own(
            "o", output_format="ascii").encode(300, None)
        width = own("o").width // 8
        assert fast("f").encode(b"\x07" * width, None) == own("o").encode(b"\x07" * width, None)


def rendered(requests: list) -> list[bytes]:
    out = []
    for request in requests:
        out.append(request.render(MutationContext(message_path=[], mutations={})))
        for mutations in request.get_mutations():
            context = MutationContext(message_path=[],
                                      mutations={m.qualified_name: m for m in mutations})
            out.append(request.render(context))
    return out


def own_requests(monkeypatch: pytest.MonkeyPatch) -> list:
    """The engine's models built from boofuzz's own classes."""
    with monkeypatch.context() as m:
        for name in ("Byte", "Word", "DWord"):
            m.setattr(boofuzz_engine, name, getattr(boofuzz, name))
        m.setattr(boofuzz_engine, "CountedRequest", boofuzz.Request)
        return boofuzz_engine.requests(ADDRS)


def test_every_mutation_of_the_models_renders_the_same(monkeypatch) -> None:
    fast, own = boofuzz_engine.requests(ADDRS), own_requests(monkeypatch)
    assert [type(r) for r in fast] == [boofuzz_fast.CountedRequest] * len(fast)
    assert [type(r) for r in own] == [boofuzz.Request] * len(own)
    counts = [r.get_num_mutations() for r in fast]
    assert counts == [r.get_num_mutations() for r in own]
    assert counts == [r.get_num_mutations() for r in fast]  # counted once, asked twice
    mine, theirs = rendered(fast), rendered(own)
    assert len(mine) == sum(counts) + len(fast)
    assert mine == theirs
