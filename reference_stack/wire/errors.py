"""The wire layer's own exception."""


class WireError(ValueError):
    """Bytes that cannot be represented, or a Repr that cannot be emitted.

    ``reason`` is a short lower-case phrase such as ``"truncated header"``; ``frame.dissect``
    prefixes it with the layer name (``"tcp: truncated header"``).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
