"""The reference stack's wire layer: strict struct-based codecs, one module per protocol.

Each protocol module has a checked view (``...Packet`` / ``EthernetFrame`` over a buffer, with
``check_len()``) and a frozen ``...Repr`` with ``parse(bytes)`` and ``emit(...)``; ``frame``
dissects whole frames; ``addr`` converts addresses; ``checksum`` is RFC 1071.
Parsing raises only ``errors.WireError``.
"""
