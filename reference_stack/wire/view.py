"""Base of the checked views (smoltcp's ``Packet::new_checked``): a buffer, field accessors at
fixed offsets in the subclasses, and ``check_len()`` raising WireError when the buffer cannot
hold what the accessors would read."""


class CheckedView:
    __slots__ = ("buffer",)

    def __init__(self, buffer: bytes) -> None:
        self.buffer = buffer

    @classmethod
    def new_checked(cls, buffer: bytes):
        view = cls(buffer)
        view.check_len()
        return view

    def check_len(self) -> None:
        raise NotImplementedError
