"""Random-input driver shared by the fuzz test and ``fuzz_parse.py``: every parser and
``dissect`` must raise nothing but WireError, and what they return must summarise and re-emit."""

import random

from reference_stack.wire.addr import ip4, mac
from reference_stack.wire.arp import ARP_REQUEST, ArpRepr
from reference_stack.wire.errors import WireError
from reference_stack.wire.ethernet import ETH_P_ARP, EthernetRepr, VlanTag
from reference_stack.wire.frame import build_frame, dissect
from reference_stack.wire.icmpv4 import Icmpv4Repr
from reference_stack.wire.ipv4 import (
    IPPROTO_ICMP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Ipv4OptRecordRoute,
    Ipv4OptRouterAlert,
    Ipv4OptTimestamp,
    Ipv4Repr,
)
from reference_stack.wire.tcp import (
    ACK,
    SYN,
    TcpOptMss,
    TcpOptNop,
    TcpOptSack,
    TcpOptSackPermitted,
    TcpOptTimestamps,
    TcpOptWindowScale,
    TcpRepr,
)
from reference_stack.wire.udp import UdpRepr

SRC_IP = ip4("198.18.0.1")
DST_IP = ip4("198.18.0.2")
SRC_MAC = mac("02:00:00:00:00:01")
DST_MAC = mac("02:00:00:00:00:02")


def template_frames() -> list[bytes]:
    """Valid frames of every kind, as seeds for mutation."""
    ip = Ipv4Repr(SRC_IP, DST_IP, IPPROTO_TCP, df=True, ident=7)
    tcp_options = (
        TcpOptMss(1460),
        TcpOptSackPermitted(),
        TcpOptTimestamps(1, 2),
        TcpOptNop(),
        TcpOptWindowScale(7),
    )
    ip_options = (
        Ipv4OptRouterAlert(0),
        Ipv4OptRecordRoute(4, (bytes(4),) * 2),
        Ipv4OptTimestamp(5, 0, 0, bytes(8)),
    )
    frames = [
        build_frame(SRC_MAC, DST_MAC, ip, TcpRepr(40000, 80, 1, 0, SYN, 64240, b"", tcp_options)),
        build_frame(
            SRC_MAC,
            DST_MAC,
            Ipv4Repr(SRC_IP, DST_IP, IPPROTO_TCP, options=ip_options),
            TcpRepr(1, 2, 3, 4, ACK, 5, b"data", (TcpOptNop(), TcpOptNop(), TcpOptSack(((1, 2),)))),
        ),
        build_frame(
            SRC_MAC, DST_MAC, Ipv4Repr(SRC_IP, DST_IP, IPPROTO_UDP), UdpRepr(5353, 53, b"q" * 12)
        ),
        build_frame(
            SRC_MAC,
            DST_MAC,
            Ipv4Repr(SRC_IP, DST_IP, IPPROTO_ICMP),
            Icmpv4Repr.echo_request(1, 2, b"ping"),
        ),
        EthernetRepr(
            DST_MAC,
            SRC_MAC,
            ETH_P_ARP,
            payload=ArpRepr(ARP_REQUEST, SRC_MAC, SRC_IP, bytes(6), DST_IP).emit(),
        ).emit(),
    ]
    tagged = EthernetRepr.parse(frames[2])
    frames.append(
        EthernetRepr(
            tagged.dst, tagged.src, tagged.ethertype, (VlanTag(vid=10),), tagged.payload
        ).emit()
    )
    return frames


def random_inputs(count: int, seed: int):
    """``count`` byte strings: half uniformly random, half valid frames mutated (bytes
    overwritten, truncated or extended) so the deeper layers see hostile input."""
    rng = random.Random(seed)
    templates = template_frames()
    for i in range(count):
        if i % 2:
            yield rng.randbytes(rng.randrange(0, 160))
            continue
        frame = bytearray(rng.choice(templates))
        for _ in range(rng.randrange(1, 5)):
            frame[rng.randrange(len(frame))] = rng.randrange(256)
        cut = rng.random()
        if cut < 0.25:
            del frame[rng.randrange(len(frame) + 1) :]
        elif cut < 0.35:
            frame += rng.randbytes(rng.randrange(1, 40))
        yield bytes(frame)


def _exercise_layer(layer) -> None:
    layer.summary()
    if isinstance(layer, (UdpRepr, TcpRepr)):
        layer.emit(SRC_IP, DST_IP)
        layer.checksum_ok(SRC_IP, DST_IP)
    else:
        layer.emit()
    if isinstance(layer, Ipv4Repr):
        layer.header_checksum_ok()
    elif isinstance(layer, Icmpv4Repr):
        layer.checksum_ok()


PARSERS = (
    EthernetRepr.parse,
    ArpRepr.parse,
    Ipv4Repr.parse,
    Icmpv4Repr.parse,
    UdpRepr.parse,
    TcpRepr.parse,
)


def fuzz(count: int, seed: int) -> int:
    """Feed ``count`` inputs (and each one minus its Ethernet header) to every parser and to
    ``dissect``; returns the number of inputs. Any exception but WireError propagates."""
    done = 0
    for data in random_inputs(count, seed):
        for parse in PARSERS:
            for view in (data, data[14:]):
                try:
                    parsed = parse(view)
                except WireError:
                    continue
                _exercise_layer(parsed)
        result = dissect(data)
        result.summary()
        for layer in (result.eth, result.arp, result.ipv4, result.icmpv4, result.udp, result.tcp):
            if layer is not None:
                _exercise_layer(layer)
        done += 1
    return done
