"""The lockstep tells an oracle whose NIC holds its last frame (profile nic_holds_last_frame:
the vm target's virtio_net without TX NAPI, start_xmit -> free_old_xmit_skbs) about the frames
the target sent that the oracle never predicts: an MLD report the VM's kernel sends on its own
frees the FIN's clone the NIC held, so the RTO then collapses the FIN into its head (Linux
tcp_retrans_try_collapse). Session 12's vm test_tail_loss_probe_off[ipv6] failed so when the
report fell between the FIN and the RTO.

A timeline of a DUT that connects, sends 8 octets, then a FIN of its own, and retransmits at
the RTO; the DUT's frames come from a twin reference stack with the profile the DUT behaves
by (LINUX: the clone freed, the FIN collapsed; HELD: still held, the data alone)."""

from __future__ import annotations

import dataclasses
import errno
import socket

from conformance.fabric.pcap import FrameRecord
from conformance.judge.timeline import DutCall, Lockstep, replay
from conformance.targets.base import Endpoints
from reference_stack.profiles import LINUX
from reference_stack.wire.addr import ip4_str, mac_str
from reference_stack.wire.ethernet import ETH_P_IP, ETH_P_IPV6, EthernetRepr
from reference_stack.wire.frame import dissect
from reference_stack.wire.ipv4 import IPPROTO_UDP, Ipv4Repr
from reference_stack.wire.ipv6 import IPPROTO_ICMPV6, Ipv6Repr, solicited_node
from reference_stack.wire.mld import MODE_IS_EXCLUDE, MldRecord, MldV2Report
from reference_stack.wire.tcp import ACK, FIN, SYN, TcpOptMss
from reference_stack.wire.udp import UdpRepr
from tests.unit.refstack.harness import IP_A, IP_B, MAC_A, MAC_B, RawPeer, make_stack

HELD = dataclasses.replace(LINUX, nic_holds_last_frame=True)
RULE = "LINUX-tcp_can_collapse-skb-cloned"
PORT = 5001
ALL_MLDV2_ROUTERS = bytes.fromhex("ff020000000000000000000000000016")


def mld_report() -> bytes:
    """The DUT's unsolicited MLDv2 report (:: > ff02::16, RFC 3810 5.2.13)."""
    group = solicited_node(bytes.fromhex("20010db8000000000000000000000001"))
    icmp = MldV2Report((MldRecord(MODE_IS_EXCLUDE, group),)).to_icmp()
    src = bytes(16)
    packet = Ipv6Repr(src, ALL_MLDV2_ROUTERS, IPPROTO_ICMPV6,
                      icmp.emit(src, ALL_MLDV2_ROUTERS), hop_limit=1).emit()
    return EthernetRepr(bytes.fromhex("333300000016"), MAC_A, ETH_P_IPV6,
                        payload=packet).emit()


def _udp_datagram() -> bytes:
    """A datagram of the DUT the oracle does not predict (no socket sent it there)."""
    dgram = UdpRepr(5353, 5353, b"hello").emit(IP_A, IP_B)
    packet = Ipv4Repr(IP_A, IP_B, IPPROTO_UDP, dgram).emit()
    return EthernetRepr(MAC_B, MAC_A, ETH_P_IP, payload=packet).emit()


def _replayed(target, oracle, other_at: float | None, rto_late: float = 0.0,
              other: bytes | None = None):
    """The timeline replayed into an oracle with ``oracle``'s profile, the DUT a twin with
    ``target``'s: the DUT's ``other`` frame (an MLD report unless said) at ``other_at`` (None:
    none), its retransmission recorded ``rto_late`` s after its timer was due. Returns the
    outcome, the DUT's retransmission and when its timer was due."""
    twin = make_stack(target, "a", seed=7)
    tester = RawPeer(twin)
    fd = twin.socket(socket.AF_INET, socket.SOCK_STREAM).value
    (syn,) = twin.connect(fd, ("198.18.0.11", PORT), 0.001).reaction.frames
    s = dissect(syn).tcp
    synack = tester.tcp(PORT, s.src_port, SYN | ACK, 1000, s.seq + 1,
                        options=(TcpOptMss(1460),))  # (no SACK: no tail loss probe)
    (ack,) = twin.receive(synack, 0.003).frames
    (data,) = twin.send(fd, b"probe me", 0.01).reaction.frames
    (fin,) = twin.shutdown(fd, socket.SHUT_WR, 0.02).reaction.frames
    due = twin.poll_at()
    (again,) = twin.poll(due).frames
    frames = [FrameRecord(0.001, "in", syn), FrameRecord(0.003, "out", synack),
              FrameRecord(0.003, "in", ack), FrameRecord(0.01, "in", data),
              FrameRecord(0.02, "in", fin), FrameRecord(due + rto_late, "in", again)]
    if other_at is not None:
        frames.append(FrameRecord(other_at, "in", other or mld_report()))
    frames.sort(key=lambda f: f.t)
    calls = [DutCall(0.0, "socket_with_errno", (socket.AF_INET, socket.SOCK_STREAM, 0), (fd, 0)),
             DutCall(0.002, "connect_with_errno", (fd, ("198.18.0.11", PORT), 0.0),
                     (None, errno.EINPROGRESS), 0.0),
             DutCall(0.011, "send_with_errno", (fd, b"probe me", 0, 0.0), (8, 0), 0.01),
             DutCall(0.021, "shutdown_with_errno", (fd, socket.SHUT_WR), (None, 0), 0.02)]
    endpoints = Endpoints(mac_str(MAC_B), ip4_str(IP_B), mac_str(MAC_A), ip4_str(IP_A), "", "",
                          24)
    return replay(Lockstep(oracle, endpoints), frames, calls), dissect(again).tcp, due


def test_an_mld_report_after_the_fin_frees_it_for_the_rto():
    # the VM's report between the FIN and the RTO: its kernel collapsed the FIN (its NIC's
    # clone freed); so does the oracle, told of the report
    outcome, again, _ = _replayed(LINUX, HELD, other_at=0.05)
    assert again.payload == b"probe me" and again.flags & FIN
    assert outcome.divergence_dicts() == []
    assert RULE not in [d["rule"] for d in outcome.decisions]


def test_without_a_report_the_held_fin_stays_apart():
    outcome, again, _ = _replayed(HELD, HELD, other_at=None)
    assert again.payload == b"probe me" and not again.flags & FIN
    assert outcome.divergence_dicts() == []
    assert RULE in [d["rule"] for d in outcome.decisions]
    # and a DUT that collapsed it with no frame between diverges
    outcome, *_ = _replayed(LINUX, HELD, other_at=None)
    assert [d["field"] for d in outcome.divergence_dicts()] == ["tcp.flags"]


def test_a_report_before_the_fin_frees_nothing():
    outcome, again, _ = _replayed(HELD, HELD, other_at=0.015)
    assert not again.flags & FIN and outcome.divergence_dicts() == []


def test_a_report_recorded_after_the_oracles_deadline_still_precedes_a_late_rto():
    # the VM's timer ran late (TCG): its retransmission 40 ms after the oracle's deadline, its
    # report 20 ms after it. Its NIC sent the report first, so the FIN was free to collapse.
    due = _replayed(LINUX, LINUX, other_at=None)[2]
    outcome, again, _ = _replayed(LINUX, HELD, other_at=due + 0.02, rto_late=0.04)
    assert again.flags & FIN and outcome.divergence_dicts() == []


def test_a_frame_the_oracle_did_not_predict_frees_it_too():
    # judged (an unexpected frame), and the NIC sent it all the same
    outcome, again, _ = _replayed(LINUX, HELD, other_at=0.05, other=_udp_datagram())
    assert again.flags & FIN
    assert [d["kind"] for d in outcome.divergence_dicts()] == ["unexpected"]
