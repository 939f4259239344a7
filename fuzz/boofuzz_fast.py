"""boofuzz's request and integer primitives where boofuzz is slow on every case, giving the
same counts and octets (tests/fuzz/test_boofuzz_fast.py checks them against boofuzz's own).

- ``CountedRequest``: boofuzz's Session asks the request being fuzzed for its number of
  mutations on every case (for the line it opens each case's log with), and boofuzz counts
  them by exhausting every primitive's mutation generator, a quarter of a case's time. A
  model does not change once built, so the count is taken once.
- ``Byte``, ``Word``, ``DWord``: boofuzz renders an integer field in binary format through a
  string of "0"/"1" characters (``BitField._render_int``: the value's low ``width`` bits, most
  significant first, in whole octets, reversed for little endian); these write the same
  octets with one ``int.to_bytes``.
"""

from __future__ import annotations

from typing import Any

import boofuzz
from boofuzz.constants import LITTLE_ENDIAN


class CountedRequest(boofuzz.Request):
    """A Request that counts its mutations once (see the module's docstring)."""

    _num_mutations: int | None = None

    def get_num_mutations(self) -> int:
        if self._num_mutations is None:
            self._num_mutations = super().get_num_mutations()
        return self._num_mutations


class _BinaryInt:
    """BitField.encode for an int in binary format, without the bit string (module doc)."""

    width: int
    endian: str
    format: str

    def encode(self, value: Any, mutation_context: Any) -> bytes:
        if type(value) is not int or self.format != "binary":
            return super().encode(value, mutation_context)  # type: ignore[misc]
        width = self.width
        octets = (value & ((1 << width) - 1)).to_bytes((width + 7) // 8, "big")
        return octets[::-1] if self.endian == LITTLE_ENDIAN else octets


class Byte(_BinaryInt, boofuzz.Byte):
    pass


class Word(_BinaryInt, boofuzz.Word):
    pass


class DWord(_BinaryInt, boofuzz.DWord):
    pass
