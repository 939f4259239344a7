"""ARP (RFC 826): checked view ``ArpPacket`` and frozen ``ArpRepr``, any hlen/plen."""

import struct
from dataclasses import dataclass

from reference_stack.wire.addr import ip4_str, mac_str
from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import octets, pack
from reference_stack.wire.view import CheckedView

ARP_REQUEST = 1
ARP_REPLY = 2
ARPHRD_ETHER = 1
ARP_PTYPE_IPV4 = 0x0800

HEADER_LEN = 8  # hardware type, protocol type, hlen, plen, opcode
_FIXED = struct.Struct("!HHBBH")


class ArpPacket(CheckedView):
    """Checked view over a buffer holding an ARP packet."""

    __slots__ = ()

    def check_len(self) -> None:
        if len(self.buffer) < HEADER_LEN:
            raise WireError("truncated header")
        if len(self.buffer) < self.total_len:
            raise WireError("truncated addresses")

    @property
    def htype(self) -> int:
        return int.from_bytes(self.buffer[0:2], "big")

    @property
    def ptype(self) -> int:
        return int.from_bytes(self.buffer[2:4], "big")

    @property
    def hlen(self) -> int:
        return self.buffer[4]

    @property
    def plen(self) -> int:
        return self.buffer[5]

    @property
    def op(self) -> int:
        return int.from_bytes(self.buffer[6:8], "big")

    @property
    def total_len(self) -> int:
        return HEADER_LEN + 2 * (self.hlen + self.plen)

    def _field(self, index: int) -> bytes:
        hlen, plen = self.hlen, self.plen
        starts = (0, hlen, hlen + plen, 2 * hlen + plen)
        sizes = (hlen, plen, hlen, plen)
        start = HEADER_LEN + starts[index]
        return bytes(self.buffer[start : start + sizes[index]])

    @property
    def sha(self) -> bytes:
        return self._field(0)

    @property
    def spa(self) -> bytes:
        return self._field(1)

    @property
    def tha(self) -> bytes:
        return self._field(2)

    @property
    def tpa(self) -> bytes:
        return self._field(3)


@dataclass(frozen=True, slots=True)
class ArpRepr:
    """An ARP packet. ``hlen``/``plen`` are emitted as given (they describe the address fields);
    parse drops trailing link padding after the four addresses."""

    op: int
    sha: bytes
    spa: bytes
    tha: bytes
    tpa: bytes
    htype: int = ARPHRD_ETHER
    ptype: int = ARP_PTYPE_IPV4
    hlen: int = 6
    plen: int = 4

    @classmethod
    def parse(cls, data: bytes) -> "ArpRepr":
        if type(data) is not bytes:
            data = bytes(data)
        if len(data) < HEADER_LEN:
            raise WireError("truncated header")
        htype, ptype, hlen, plen, op = _FIXED.unpack_from(data)
        if len(data) < HEADER_LEN + 2 * (hlen + plen):
            raise WireError("truncated addresses")
        spa_at = HEADER_LEN + hlen
        tha_at = spa_at + plen
        tpa_at = tha_at + hlen
        return cls(
            op,
            data[HEADER_LEN:spa_at],
            data[spa_at:tha_at],
            data[tha_at:tpa_at],
            data[tpa_at : tpa_at + plen],
            htype,
            ptype,
            hlen,
            plen,
        )

    def emit(self) -> bytes:
        fixed = pack(_FIXED, self.htype, self.ptype, self.hlen, self.plen, self.op)
        hlen, plen = self.hlen, self.plen
        return (
            fixed
            + octets("sha", self.sha, hlen)
            + octets("spa", self.spa, plen)
            + octets("tha", self.tha, hlen)
            + octets("tpa", self.tpa, plen)
        )

    @property
    def is_ethernet_ipv4(self) -> bool:
        return (self.htype, self.ptype, self.hlen, self.plen) == (
            ARPHRD_ETHER,
            ARP_PTYPE_IPV4,
            6,
            4,
        )

    def summary(self) -> str:
        if not self.is_ethernet_ipv4:
            return (
                f"ARP op {self.op} htype {self.htype} ptype 0x{self.ptype:04x} "
                f"hlen {self.hlen} plen {self.plen}"
            )
        if self.op == ARP_REQUEST:
            return f"ARP who-has {ip4_str(self.tpa)} tell {ip4_str(self.spa)}"
        if self.op == ARP_REPLY:
            return f"ARP reply {ip4_str(self.spa)} is-at {mac_str(self.sha)}"
        return f"ARP op {self.op} {ip4_str(self.spa)} > {ip4_str(self.tpa)}"
