"""The Internet checksum (RFC 1071) and the pseudo-header sums of IPv4 (RFC 9293 3.1, RFC 768)
and IPv6 (RFC 8200 8.1)."""

_FOLD = 0xFFFF
# word_sum on a long buffer: the integers of its two halves (split at an even octet) added,
# then the bits above 368 octets, and above 184 octets, added onto the bits below (even
# counts: 2**(8 * even) == 1 mod 0xFFFF).
_LONG = 640  # octets (below, the one modulo costs less than the folds)
_SHIFT_1, _SHIFT_2 = 368 * 8, 184 * 8
_LOW_1, _LOW_2 = (1 << _SHIFT_1) - 1, (1 << _SHIFT_2) - 1


def word_sum(data: bytes) -> int:
    """The sum of the 16-bit big-endian words of ``data``, zero-padded to an even length
    (RFC 1071 2(A)), reduced modulo 0xFFFF into 1..0xFFFF (0 only when every octet is zero).

    Since 2**16 == 1 (mod 0xFFFF), the big-endian integer of the whole buffer is congruent to
    the sum of its words (RFC 1071 2(C), deferred carries): one ``int.from_bytes`` and one
    modulo replace the word loop. The little-endian integer (which CPython reads faster) is
    likewise congruent to the sum of the byte-swapped words, zero padding included, and
    swapping is multiplying by 256 (RFC 1071 2(B), byte order independence: x * 256 ==
    x_hi + x_lo * 256 (mod 0xFFFF)), whatever the length. The sums of consecutive
    even-length parts add up (mod 0xFFFF, keeping "zero only when all zero") to the sum of
    their concatenation.

    A buffer over 640 octets is made a short integer first, by that rule (its halves added,
    then the high bits folded onto the low twice: non-zero stays non-zero), before the
    modulo: CPython reduces a big integer modulo a one-digit number one 30-bit digit at a
    time, each step a hardware division whose latency dominates, while additions, shifts and
    masks cost little per digit. A 1480-octet segment then leaves ~51 digits to divide
    instead of ~395: about 7,000 more instructions (tests/bench/callgrind_refstack.py), about
    1.3 us less CPU time a segment here (tests/bench/cpu_refstack.py).
    """
    if len(data) > _LONG:
        half = len(data) >> 2 << 1  # (even)
        total = int.from_bytes(data[:half], "little") + int.from_bytes(data[half:], "little")
        total = (total & _LOW_1) + (total >> _SHIFT_1)
        total = (total & _LOW_2) + (total >> _SHIFT_2)
    else:
        total = int.from_bytes(data, "little")
    if not total:
        return 0
    return total % _FOLD * 256 % _FOLD or _FOLD


def fold(total: int) -> int:
    """RFC 1071: the 16-bit one's complement of the end-around-carry sum ``total`` (a non-zero
    total never folds to 0: the 0 -> 0xFFFF mapping)."""
    folded = total % _FOLD
    if folded == 0 and total:
        folded = _FOLD
    return ~folded & 0xFFFF


def internet_checksum(data: bytes, initial: int = 0) -> int:
    """RFC 1071: the 16-bit one's complement of the one's complement sum of ``data``.

    ``initial`` is a partial sum (e.g. ``pseudo_header_sum``) added before complementing.
    A buffer that already holds a correct checksum yields 0.
    """
    return fold(word_sum(data) + initial)


def verify(data: bytes, initial: int = 0) -> bool:
    """``internet_checksum(data, initial) == 0``: the buffer holds its correct checksum (with
    the pseudo-header's sum as ``initial``). RFC 1071 1(3): the sum over the data and its
    checksum is then all ones, i.e. a non-zero multiple of 0xFFFF before folding."""
    total = word_sum(data) + initial
    return total % _FOLD == 0 and total != 0


def pseudo_header_sum(src: bytes, dst: bytes, proto: int, length: int) -> int:
    """Unfolded sum of the pseudo-header words: src, dst, zero+protocol, length.

    RFC 9293 3.1 (TCP) and RFC 768 (UDP) over IPv4 addresses (4 octets); over IPv6 addresses
    (16 octets) the RFC 8200 8.1 pseudo-header: the addresses, a 32-bit upper-layer packet
    length, 24 zero bits and the next header. Pass it as ``initial`` to ``internet_checksum``.
    """
    if len(src) != 4:
        return ipv6_pseudo_header_sum(src, dst, proto, length)
    s = int.from_bytes(src, "big")
    d = int.from_bytes(dst, "big")
    return (s >> 16) + (s & 0xFFFF) + (d >> 16) + (d & 0xFFFF) + proto + length


def ipv6_pseudo_header_sum(src: bytes, dst: bytes, next_header: int, length: int) -> int:
    """RFC 8200 8.1: the unfolded sum of the IPv6 pseudo-header (source and destination
    addresses, upper-layer packet length as 32 bits, zeros, next header)."""
    return (word_sum(src) + word_sum(dst) + (length >> 16) + (length & 0xFFFF)
            + next_header)


def with_checksum(data: bytes, offset: int, value: int) -> bytes:
    """``data`` with the 16-bit ``value`` stored big-endian at ``offset``."""
    return data[:offset] + value.to_bytes(2, "big") + data[offset + 2 :]
