"""Partial packet templates, in the style of gVisor's packetimpact.

A template is a stack of layers, each naming only the fields a test cares about::

    (IPv4(ttl=1), TCP(flags="S", dst_port=80), Payload(b"hi"))

When sending, a field left out (None) gets a default: addresses from the test link, lengths
and checksums computed, TCP seq/ack from a connection. When matching, a field left out is a
don't-care. Field names are those of the reference stack's wire Reprs
(``reference_stack.wire``), which also build and parse the bytes: the tester and the oracle
share one strict codec, and scapy stays out of the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reference_stack.wire import arp, ethernet, icmpv4, icmpv6, ipv4, ipv6, ipv6_ext, tcp, udp
from reference_stack.wire.addr import ip4, ip4_str, ip6, ip6_str, mac, mac_str
from reference_stack.wire.frame import Dissected, dissect

ADDRESS_FIELDS = {"src", "dst", "sha", "spa", "tha", "tpa"}
DEFAULT_SRC_PORT = 40000
DEFAULT_DST_PORT = 9  # discard: nobody listens there unless a test binds it
DEFAULT_WINDOW = 64240


@dataclass(frozen=True)
class Layer:
    """One layer of a template: its kind and the fields given (everything else: default/any)."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)

    def merged(self, other: Layer) -> Layer:
        """This layer with ``other``'s fields on top."""
        return Layer(self.kind, {**self.fields, **other.fields})

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"{self.kind}({inner})"


def _layer(kind: str) -> Any:
    def make(**fields: Any) -> Layer:
        return Layer(kind, {k: v for k, v in fields.items() if v is not None})

    make.__name__ = kind
    return make


Ether = _layer("Ether")
ARP = _layer("ARP")
IPv4 = _layer("IPv4")
ICMPv4 = _layer("ICMPv4")
UDP = _layer("UDP")
TCP = _layer("TCP")
IPv6 = _layer("IPv6")
ICMPv6 = _layer("ICMPv6")


def IPv6Ext(*headers: Any) -> Layer:  # noqa: N802 - reads like the other layer constructors
    """Extension headers (``reference_stack.wire.ipv6_ext`` Reprs, each naming its own Next
    Header) between the IPv6 header and the upper layer; sent as given, matched as a whole."""
    return Layer("IPv6Ext", {"headers": tuple(headers)})


def Payload(data: bytes) -> Layer:  # noqa: N802 - reads like the other layer constructors
    return Layer("Payload", {"data": bytes(data)})


L4_KINDS = ("ICMPv4", "UDP", "TCP", "ICMPv6")
IP_KINDS = ("IPv4", "IPv6")
PROTO_OF = {"ICMPv4": ipv4.IPPROTO_ICMP, "UDP": ipv4.IPPROTO_UDP, "TCP": ipv4.IPPROTO_TCP,
            "ICMPv6": ipv6.IPPROTO_ICMPV6}
ATTR_OF = {"Ether": "eth", "ARP": "arp", "IPv4": "ipv4", "ICMPv4": "icmpv4", "UDP": "udp",
           "TCP": "tcp", "IPv6": "ipv6", "ICMPv6": "icmpv6", "IPv6Ext": "ipv6_ext"}


# -- normalising values given by test authors ----------------------------------------------

def normalize(kind: str, name: str, value: Any) -> Any:
    """Turn a friendly value into what the Repr holds ("198.18.0.1" -> bytes, "SA" -> int)."""
    if name in ADDRESS_FIELDS and isinstance(value, str):
        if kind == "Ether" or name in ("sha", "tha"):
            return mac(value)
        return ip6(value) if ":" in value else ip4(value)
    if kind == "TCP" and name == "flags" and isinstance(value, str):
        return tcp.parse_flags(value)
    return value


def display(kind: str, name: str, value: Any) -> str:
    """A value as a person reads it in a diff."""
    if isinstance(value, bytes) and name in ADDRESS_FIELDS:
        if len(value) == 16:
            return ip6_str(value)
        return mac_str(value) if len(value) == 6 else ip4_str(value)
    if kind == "TCP" and name == "flags" and isinstance(value, int):
        return tcp.flags_str(value)
    if isinstance(value, bytes):
        shown = value[:48].hex()
        return f"{len(value)} bytes {shown}{'...' if len(value) > 48 else ''}"
    if isinstance(value, int) and name in ("checksum", "ethertype"):
        return f"{value:#06x}"
    return repr(value)


# -- building ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinkDefaults:
    """Defaults for frames the tester sends to the DUT."""

    src_mac: str
    dst_mac: str
    src_ipv4: str
    dst_ipv4: str
    src_ipv6: str | None = None
    dst_ipv6: str | None = None


def link_defaults(endpoints: Any) -> LinkDefaults:
    """The tester-to-DUT defaults of a bed's :class:`~conformance.targets.base.Endpoints`."""
    return LinkDefaults(endpoints.tester_mac, endpoints.dut_mac, endpoints.tester_ipv4,
                        endpoints.dut_ipv4, endpoints.tester_ipv6 or None,
                        endpoints.dut_ipv6 or None)


def _fields(layer: Layer) -> dict[str, Any]:
    return {k: normalize(layer.kind, k, v) for k, v in layer.fields.items()}


def complete(layers: tuple[Layer, ...]) -> tuple[Layer, ...]:
    """Add the Ether (and IPv4, or IPv6 under ICMPv6 or extension headers, under an L4 layer)
    a template leaves implicit."""
    kinds = [layer.kind for layer in layers]
    out = list(layers)
    if any(k in L4_KINDS for k in kinds) and not any(k in IP_KINDS for k in kinds):
        first_l4 = next(i for i, k in enumerate(kinds) if k in L4_KINDS or k == "IPv6Ext")
        v6 = "ICMPv6" in kinds or "IPv6Ext" in kinds
        out.insert(first_l4, IPv6() if v6 else IPv4())
    if not out or out[0].kind != "Ether":
        out.insert(0, Ether())
    return tuple(out)


def build(layers: tuple[Layer, ...], defaults: LinkDefaults) -> bytes:
    """The bytes of a template, with defaults filled in (top layer first, then downwards)."""
    layers = complete(layers)
    payload = b""
    src_ip, dst_ip = ip4(defaults.src_ipv4), ip4(defaults.dst_ipv4)
    for layer in layers:
        if layer.kind == "IPv6":
            if defaults.src_ipv6 is None or defaults.dst_ipv6 is None:
                raise ValueError("an IPv6 template on a link without IPv6 addresses")
            src_ip, dst_ip = ip6(defaults.src_ipv6), ip6(defaults.dst_ipv6)
        if layer.kind in IP_KINDS:
            f = _fields(layer)
            src_ip, dst_ip = f.get("src", src_ip), f.get("dst", dst_ip)
    upper_kind = None
    for layer in reversed(layers):
        f = _fields(layer)
        kind = layer.kind
        if kind == "Payload":
            payload = f["data"] + payload
            continue
        if kind == "TCP":
            base = {"src_port": DEFAULT_SRC_PORT, "dst_port": DEFAULT_DST_PORT,
                    "window": DEFAULT_WINDOW}
            payload = tcp.TcpRepr(**{**base, "payload": payload, **f}).emit(src_ip, dst_ip)
        elif kind == "UDP":
            base = {"src_port": DEFAULT_SRC_PORT, "dst_port": DEFAULT_DST_PORT}
            payload = udp.UdpRepr(**{**base, "payload": payload, **f}).emit(src_ip, dst_ip)
        elif kind == "ICMPv4":
            payload = icmpv4.Icmpv4Repr(**{"payload": payload, **f}).emit()
        elif kind == "ICMPv6":
            payload = icmpv6.Icmpv6Repr(**{"payload": payload, **f}).emit(src_ip, dst_ip)
        elif kind == "IPv6Ext":
            headers = f["headers"]
            payload = b"".join(h.emit() for h in headers) + payload
            kind = _ext_protocol(headers[0]) if headers else upper_kind
        elif kind == "IPv6":
            base = {"src": src_ip, "dst": dst_ip,
                    "next_header": upper_kind if isinstance(upper_kind, int)
                    else PROTO_OF.get(upper_kind, ipv6.IPPROTO_NONE)}
            payload = ipv6.Ipv6Repr(**{**base, "payload": payload, **f}).emit()
        elif kind == "IPv4":
            base = {"src": src_ip, "dst": dst_ip, "protocol": PROTO_OF.get(upper_kind, 0)}
            payload = ipv4.Ipv4Repr(**{**base, "payload": payload, **f}).emit()
        elif kind == "ARP":
            base = {"op": arp.ARP_REQUEST, "sha": mac(defaults.src_mac), "spa": src_ip,
                    "tha": bytes(6), "tpa": dst_ip}
            payload = arp.ArpRepr(**{**base, **f}).emit()
        elif kind == "Ether":
            ethertype = {"IPv4": ethernet.ETH_P_IP, "ARP": ethernet.ETH_P_ARP,
                         "IPv6": ethernet.ETH_P_IPV6}.get(upper_kind, 0)
            base = {"dst": mac(defaults.dst_mac), "src": mac(defaults.src_mac),
                    "ethertype": ethertype}
            payload = ethernet.EthernetRepr(**{**base, "payload": payload, **f}).emit()
        else:
            raise ValueError(f"unknown layer kind {kind}")
        upper_kind = kind
    return payload


def _ext_protocol(header: Any) -> int:
    """The Next Header value that names an extension header Repr."""
    if isinstance(header, ipv6_ext.Ipv6OptionsHeader):
        return header.protocol
    return {ipv6_ext.Ipv6Routing: ipv6.IPPROTO_ROUTING, ipv6_ext.Ipv6Fragment:
            ipv6.IPPROTO_FRAGMENT, ipv6_ext.Ipv6Ah: ipv6.IPPROTO_AH,
            ipv6_ext.Ipv6Esp: ipv6.IPPROTO_ESP}[type(header)]


# -- matching ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldDiff:
    field: str  # e.g. "tcp.flags"
    expected: str
    actual: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "expected": self.expected, "actual": self.actual}


def innermost_payload(d: Dissected) -> bytes | None:
    for attr in ("tcp", "udp", "icmpv4", "icmpv6"):
        layer = getattr(d, attr)
        if layer is not None:
            return layer.payload
    if d.ipv4 is not None:
        return d.ipv4.payload
    if d.ipv6_ext is not None:
        return d.ipv6_ext.upper
    return None


def diff(layers: tuple[Layer, ...], frame: bytes | Dissected) -> list[FieldDiff]:
    """Fields of the template that ``frame`` does not match (empty list: it matches)."""
    d = frame if isinstance(frame, Dissected) else dissect(frame)
    out: list[FieldDiff] = []
    for layer in layers:
        if layer.kind == "Payload":
            actual = innermost_payload(d)
            if actual != layer.fields["data"]:
                shown = "absent" if actual is None else display("", "payload", actual)
                out.append(FieldDiff("payload", display("", "payload", layer.fields["data"]),
                                     shown))
            continue
        attr = ATTR_OF[layer.kind]
        repr_ = getattr(d, attr)
        if repr_ is None:
            out.append(FieldDiff(attr, "present", f"absent ({d.summary()})"))
            continue
        if layer.kind == "IPv6Ext":  # the chain as a whole, by its octets
            want_raw = b"".join(h.emit() for h in layer.fields["headers"])
            got_raw = b"".join(h.emit() for _, _, h in repr_.headers)
            if want_raw != got_raw:
                wanted = " ".join(h.summary() for h in layer.fields["headers"]) or "none"
                out.append(FieldDiff("ipv6_ext", wanted, repr_.summary() or "none"))
            continue
        for name, value in layer.fields.items():
            want = normalize(layer.kind, name, value)
            got = getattr(repr_, name)
            if callable(want):
                ok = bool(want(got))
                shown = getattr(want, "__doc__", None) or "predicate"
            else:
                ok = got == want
                shown = display(layer.kind, name, want)
            if not ok:
                out.append(FieldDiff(f"{attr}.{name}", shown, display(layer.kind, name, got)))
    return out


def matches(layers: tuple[Layer, ...], frame: bytes) -> bool:
    return not diff(layers, frame)
