"""RFC 826 (packet reception, merge flag): a sender already in the DUT's translation table has
its hardware address updated by any ARP packet from it; a sender unknown to the table is added
when the DUT is the target. The table is observed through the destination MAC of the DUT's echo
reply to that sender (an unknown sender would first be asked for with an ARP request), or of
its Port Unreachable for a UDP datagram where the DUT ignores echo requests
(conformance/author/answered.py)."""

import pytest

from conformance.author.answered import answered_probe
from conformance.author.templates import ARP, Ether, IPv4
from reference_stack.wire.arp import ARP_REPLY, ARP_REQUEST

FIRST_MAC = "02:00:5e:20:00:01"
SECOND_MAC = "02:00:5e:20:00:02"


def _answer_goes_to(ex, bed, src_ip: str, src_mac: str, mac: str) -> None:
    probe = answered_probe(bed, 0x00500001, b"where do you send this?")
    ex.send(Ether(src=src_mac), IPv4(src=src_ip), *probe.request)
    # at once: with the sender in the table; without, an ARP request would come first
    ex.expect(Ether(dst=mac), IPv4(dst=src_ip), *probe.answer, timeout=1.0, immediate=True)


def _request_from(ex, endpoints, ip: str, mac: str) -> None:
    ex.send(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff"),
            ARP(op=ARP_REQUEST, sha=mac, spa=ip, tpa=endpoints.dut_ipv4))
    ex.expect(ARP(op=ARP_REPLY, tha=mac))


UPDATES = {
    "request-to-dut": lambda ip, dut_ip, mac: ARP(op=ARP_REQUEST, sha=mac, spa=ip, tpa=dut_ip),
    "gratuitous-request": lambda ip, dut_ip, mac: ARP(op=ARP_REQUEST, sha=mac, spa=ip, tpa=ip),
}


@pytest.mark.requirement("RFC826-MUST-merge")
@pytest.mark.parametrize("update", UPDATES)
def test_known_sender_hardware_address_is_updated(ex, endpoints, bed, update):
    ip = endpoints.spare_ipv4[0]
    _request_from(ex, endpoints, ip, FIRST_MAC)
    _answer_goes_to(ex, bed, ip, FIRST_MAC, FIRST_MAC)
    ex.send(Ether(src=SECOND_MAC, dst="ff:ff:ff:ff:ff:ff"),
            UPDATES[update](ip, endpoints.dut_ipv4, SECOND_MAC))
    ex.expect_nothing(ARP(op=ARP_REQUEST))
    _answer_goes_to(ex, bed, ip, SECOND_MAC, SECOND_MAC)


@pytest.mark.requirement("RFC826-MUST-add-entry")
@pytest.mark.parametrize("op", ["request", "reply"])
def test_unknown_sender_targeting_dut_is_added(ex, endpoints, bed, op):
    ip = endpoints.spare_ipv4[1]
    if op == "request":
        _request_from(ex, endpoints, ip, FIRST_MAC)
    else:
        ex.send(Ether(src=FIRST_MAC),
                ARP(op=ARP_REPLY, sha=FIRST_MAC, spa=ip, tha=endpoints.dut_mac,
                    tpa=endpoints.dut_ipv4))
        ex.expect_nothing(ARP())
    _answer_goes_to(ex, bed, ip, FIRST_MAC, FIRST_MAC)
