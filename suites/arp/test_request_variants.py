"""RFC 826 (packet reception): a request for the DUT's address is answered whatever its target
hardware address holds, and the reply goes to the sender hardware address of the request (not
to the Ethernet source); packets of a hardware or protocol type the DUT does not use, or with
lengths that do not fit them, are discarded; a reply is never answered."""

import pytest

from conformance.author.templates import ARP, Ether
from reference_stack.wire.arp import ARP_REPLY, ARP_REQUEST

OTHER_MAC = "02:00:5e:10:00:01"


@pytest.mark.requirement("RFC826-MAY-ignore-target-hardware-address-in-request",
                         "RFC826-MUST-reply")
@pytest.mark.parametrize("tha", ["ff:ff:ff:ff:ff:ff", "02:11:22:33:44:55"])
def test_target_hardware_address_of_request_is_ignored(ex, endpoints, tha):
    ex.send(Ether(dst="ff:ff:ff:ff:ff:ff"),
            ARP(op=ARP_REQUEST, spa=endpoints.spare_ipv4[0], tpa=endpoints.dut_ipv4, tha=tha))
    ex.expect(ARP(op=ARP_REPLY, spa=endpoints.dut_ipv4, tpa=endpoints.spare_ipv4[0]))


@pytest.mark.requirement("RFC826-MUST-reply-to-sender-hardware-address")
def test_reply_goes_to_sender_hardware_address(ex, endpoints):
    ex.send(Ether(dst="ff:ff:ff:ff:ff:ff"),
            ARP(op=ARP_REQUEST, sha=OTHER_MAC, spa=endpoints.spare_ipv4[0],
                tpa=endpoints.dut_ipv4))
    ex.expect(Ether(dst=OTHER_MAC),
              ARP(op=ARP_REPLY, sha=endpoints.dut_mac, tha=OTHER_MAC, tpa=endpoints.spare_ipv4[0]))


HARDWARE = "RFC826-MUST-hardware-protocol-type"
PROTOCOL = "RFC826-MUST-hardware-protocol-type"
UNUSABLE = {
    "hardware-type-arcnet": (dict(htype=7), HARDWARE),
    "protocol-type-ipv6": (dict(ptype=0x86DD), PROTOCOL),
    "hardware-length-8": (dict(hlen=8, sha=b"\x02" * 8, tha=bytes(8)), HARDWARE),
    "protocol-length-16": (dict(plen=16, spa=bytes(16), tpa=bytes(15) + b"\x01"), PROTOCOL),
}


@pytest.mark.parametrize(
    "case", [pytest.param(k, marks=pytest.mark.requirement(r), id=k)
             for k, (_, r) in UNUSABLE.items()]
)
def test_request_of_unusable_type_is_discarded(ex, endpoints, case):
    ex.send(Ether(dst="ff:ff:ff:ff:ff:ff"),
            ARP(**{"op": ARP_REQUEST, "spa": endpoints.spare_ipv4[0], "tpa": endpoints.dut_ipv4,
                   **UNUSABLE[case][0]}))
    ex.expect_nothing(ARP())


@pytest.mark.requirement("RFC826-MUST-no-reply-to-reply")
def test_reply_is_not_answered(ex, endpoints):
    ex.send(ARP(op=ARP_REPLY, spa=endpoints.spare_ipv4[0], tpa=endpoints.dut_ipv4,
                tha=endpoints.dut_mac))
    ex.expect_nothing(ARP())
