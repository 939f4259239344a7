"""The sequence comparisons (tcp/seq.py, written without calling seq_diff) are seq_diff's
sign, including at the distances 0 and 2**31 and across the wrap."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reference_stack.tcp.seq import HALF, seq_diff, seq_ge, seq_gt, seq_le, seq_lt

u32 = st.integers(0, 0xFFFFFFFF)
distance = st.one_of(u32, st.sampled_from((0, 1, HALF - 1, HALF, HALF + 1, 0xFFFFFFFF)))


@given(u32, distance)
def test_comparisons_are_the_sign_of_seq_diff(a, d) -> None:
    b = (a + d) & 0xFFFFFFFF
    for x, y in ((a, b), (b, a)):
        diff = seq_diff(x, y)
        assert (seq_lt(x, y), seq_le(x, y), seq_gt(x, y), seq_ge(x, y)) == (
            diff < 0, diff <= 0, diff > 0, diff >= 0)
