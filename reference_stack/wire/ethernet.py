"""Ethernet II framing with IEEE 802.1Q / 802.1ad tags: checked view ``EthernetFrame`` and
frozen ``EthernetRepr``. The FCS is not part of the bytes handled here."""

import struct
from dataclasses import dataclass

from reference_stack.wire.addr import mac_str
from reference_stack.wire.errors import WireError
from reference_stack.wire.fields import bits, octets, pack
from reference_stack.wire.view import CheckedView

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_IPV6 = 0x86DD

# The TPIDs that mark a VLAN tag (IEEE 802.1Q 9.5; Linux eth_type_vlan()).
VLAN_TPIDS = frozenset((ETH_P_8021Q, ETH_P_8021AD))

HEADER_LEN = 14
TAG_LEN = 4
_U16 = struct.Struct("!H")
_TAG = struct.Struct("!HH")


@dataclass(frozen=True, slots=True)
class VlanTag:
    """IEEE 802.1Q tag: TPID, then the TCI (PCP 3 bits, DEI 1 bit, VID 12 bits)."""

    tpid: int = ETH_P_8021Q
    pcp: int = 0
    dei: int = 0
    vid: int = 0

    def emit(self) -> bytes:
        tci = (
            (bits("pcp", self.pcp, 3) << 13)
            | (bits("dei", self.dei, 1) << 12)
            | bits("vid", self.vid, 12)
        )
        return pack(_TAG, self.tpid, tci)


class EthernetFrame(CheckedView):
    """Checked view over a buffer holding an Ethernet II frame (outer header only)."""

    __slots__ = ()

    def check_len(self) -> None:
        if len(self.buffer) < HEADER_LEN:
            raise WireError("truncated header")

    @property
    def dst(self) -> bytes:
        return bytes(self.buffer[0:6])

    @property
    def src(self) -> bytes:
        return bytes(self.buffer[6:12])

    @property
    def ethertype(self) -> int:
        """The outer EtherType (a TPID when the frame is tagged)."""
        return _U16.unpack_from(self.buffer, 12)[0]

    @property
    def payload(self) -> bytes:
        return bytes(self.buffer[HEADER_LEN:])


@dataclass(frozen=True, slots=True)
class EthernetRepr:
    """An Ethernet II frame: ``vlans`` outermost first, ``ethertype`` the innermost one.

    ``emit`` pads nothing: short frames are the link's business, and ``payload`` stays as given
    (so on parse it includes any link padding; the IPv4 layer drops it by total length).
    """

    dst: bytes
    src: bytes
    ethertype: int
    vlans: tuple[VlanTag, ...] = ()
    payload: bytes = b""

    @classmethod
    def parse(cls, data: bytes) -> "EthernetRepr":
        if type(data) is not bytes:
            data = bytes(data)
        n = len(data)
        if n < HEADER_LEN:
            raise WireError("truncated header")
        ethertype = _U16.unpack_from(data, 12)[0]
        offset = HEADER_LEN
        if ethertype not in VLAN_TPIDS:
            return cls(data[0:6], data[6:12], ethertype, (), data[HEADER_LEN:])
        vlans = []
        while ethertype in VLAN_TPIDS:
            if n < offset + TAG_LEN:
                raise WireError("truncated vlan tag")
            tci, inner = _TAG.unpack_from(data, offset)
            vlans.append(VlanTag(ethertype, tci >> 13, (tci >> 12) & 1, tci & 0x0FFF))
            ethertype = inner
            offset += TAG_LEN
        return cls(data[0:6], data[6:12], ethertype, tuple(vlans), data[offset:])

    def emit(self) -> bytes:
        tags = b"".join([tag.emit() for tag in self.vlans]) if self.vlans else b""
        return (
            octets("dst", self.dst, 6)
            + octets("src", self.src, 6)
            + tags
            + pack(_U16, self.ethertype)
            + self.payload
        )

    def summary(self) -> str:
        text = f"Ether {mac_str(self.src)} > {mac_str(self.dst)} type 0x{self.ethertype:04x}"
        for tag in self.vlans:
            text += f" vlan {tag.vid} p {tag.pcp}"
            if tag.tpid != ETH_P_8021Q:
                text += f" tpid 0x{tag.tpid:04x}"
        return text + f" len {len(self.payload)}"
