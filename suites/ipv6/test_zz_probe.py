from conformance.author.templates import ICMPv6, IPv6, Payload, UDP, IPv6Ext, Ether
from reference_stack.wire.ipv6_ext import Ipv6OptionsHeader, Ipv6Fragment, Ipv6Routing
from reference_stack.wire.ipv6_options import Ipv6OptUnknown, Ipv6OptPadN
from reference_stack.wire import ndp
from reference_stack.wire.addr import ip6, mac
from reference_stack.wire.ipv6 import solicited_node, multicast_mac
from reference_stack.wire.frame import dissect

def test_probe(ex, endpoints, link):
    dut = ip6(endpoints.dut_ipv6); tester = endpoints.tester_ipv6
    spare = endpoints.dut_ipv6[:-1] + "3"
    snm = solicited_node(dut); snmac = multicast_mac(snm).hex(":")
    tmac = mac(endpoints.tester_mac)
    sll = (ndp.NdOptLinkAddr(1, tmac),)
    def ns(msg, **ipf):
        icmp = msg.to_icmp(ipf.pop("code", 0))
        return (IPv6(**{"hop_limit": 255, **ipf}), ICMPv6(type=icmp.type, code=icmp.code, rest=icmp.rest), Payload(icmp.payload))
    steps = {
     "ns-mcast": (Ether(dst=snmac),) + ns(ndp.NeighborSolicit(dut, sll), dst=snm),
     "ns-ucast": ns(ndp.NeighborSolicit(dut, sll)),
     "ns-ucast-nosll": ns(ndp.NeighborSolicit(dut)),
     "ns-hl254": ns(ndp.NeighborSolicit(dut, sll), hop_limit=254),
     "ns-code1": ns(ndp.NeighborSolicit(dut, sll), code=1),
     "ns-other-target": ns(ndp.NeighborSolicit(ip6(spare), sll)),
     "ns-spare": ns(ndp.NeighborSolicit(dut, sll), src=spare),
     "ns-dad": (Ether(dst=snmac),) + ns(ndp.NeighborSolicit(dut), dst=snm, src="::"),
     "echo-allnodes": (Ether(dst="33:33:00:00:00:01"), IPv6(dst="ff02::1"), ICMPv6(type=128, rest=3), Payload(b"x")),
     "echo-hl0": (IPv6(hop_limit=0), ICMPv6(type=128, rest=4), Payload(b"x")),
     "hbh-second": (IPv6(), IPv6Ext(Ipv6OptionsHeader(60, 0, ()), Ipv6OptionsHeader(0, 58, ())), ICMPv6(type=128, rest=5)),
     "rh0-left1": (IPv6(), IPv6Ext(Ipv6Routing(58, 0, 1, bytes(4) + dut)), ICMPv6(type=128, rest=6)),
     "rh0-left0": (IPv6(), IPv6Ext(Ipv6Routing(58, 0, 0, bytes(4) + dut)), ICMPv6(type=128, rest=7)),
     "rh4-left1": (IPv6(), IPv6Ext(Ipv6Routing(58, 4, 1, bytes((1, 0, 0, 0)) + dut + dut)), ICMPv6(type=128, rest=7)),
     "opt87-mcast": (Ether(dst="33:33:00:00:00:01"), IPv6(dst="ff02::1"), IPv6Ext(Ipv6OptionsHeader(60, 58, (Ipv6OptUnknown(0x87, b"abcd"),))), ICMPv6(type=128, rest=8)),
     "optC7-mcast": (Ether(dst="33:33:00:00:00:01"), IPv6(dst="ff02::1"), IPv6Ext(Ipv6OptionsHeader(60, 58, (Ipv6OptUnknown(0xC7, b"abcd"),))), ICMPv6(type=128, rest=9)),
     "nh253-mcast": (Ether(dst="33:33:00:00:00:01"), IPv6(dst="ff02::1", next_header=253), Payload(b"12345678")),
     "esp": (IPv6(next_header=50), Payload(b"12345678abcdefgh")),
     "ah": (IPv6(next_header=51), Payload(bytes((58, 4, 0, 0)) + bytes(20))),
     "nonext": (IPv6(next_header=59), Payload(b"12345678")),
     "udp-big": (IPv6(), UDP(dst_port=9), Payload(bytes(1400))),
     "atomic": (IPv6(), IPv6Ext(Ipv6Fragment(58, 0, False, 77)), ICMPv6(type=128, rest=10)),
     "padn-nonzero": (IPv6(), IPv6Ext(Ipv6OptionsHeader(60, 58, (Ipv6OptPadN(b"\1\2\3\4"),))), ICMPv6(type=128, rest=11)),
     "padn-8": (IPv6(), IPv6Ext(Ipv6OptionsHeader(60, 58, (Ipv6OptPadN(bytes(12)),))), ICMPv6(type=128, rest=12)),
     "echo-badsum": (IPv6(), ICMPv6(type=128, rest=13, checksum=1)),
     "udp-zerosum": (IPv6(), UDP(dst_port=9, checksum=0), Payload(b"zero")),
     "pp-with-opt87": (IPv6(), IPv6Ext(Ipv6OptionsHeader(60, 58, (Ipv6OptUnknown(0x87, b"abcd"),))), ICMPv6(type=4, code=0, rest=0), Payload(bytes(48))),
     "info200": (IPv6(), ICMPv6(type=200, rest=0)),
     "err100": (IPv6(), ICMPv6(type=100, rest=0)),
     "hbh-ra": (IPv6(), IPv6Ext(Ipv6OptionsHeader(0, 58, (ndp and __import__("reference_stack.wire.ipv6_options", fromlist=["x"]).Ipv6OptRouterAlert(0),))), ICMPv6(type=128, rest=14)),
     "src-mcast": (IPv6(src="ff02::5"), ICMPv6(type=128, rest=15)),
     "dst-other": (IPv6(dst="2001:db8::99"), ICMPv6(type=128, rest=16)),
     "echo-trunc-plen": (IPv6(payload_length=100), ICMPv6(type=128, rest=17)),
     "echo-reply-unsolicited": (IPv6(), ICMPv6(type=129, rest=18)),
    }
    for name, layers in steps.items():
        ex.send(*layers)
        frames = ex.settle()
        print("STEP", name)
        for f in frames:
            d = dissect(f); print("   ", d.summary(), hex(d.icmpv6.rest) if d.icmpv6 else "", d.icmpv6.payload.hex() if d.icmpv6 and d.icmpv6.type == 136 else "")
    pass
