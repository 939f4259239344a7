"""Benchmark of the reference stack in-process; prints JSON lines.

    python tests/unit/refstack/bench_refstack.py [--seconds 2]

1. data path: frames/s through an established connection between two stacks (one side sends,
   the other receives, reads and acknowledges; every frame counted once, in either direction),
   with the time per call of each kind (`us_per_call`: send, receive of the data, recv,
   receive of the ACK) as a breakdown, and the frames per second of CPU time the process used
   (`frames_per_s_cpu`: on a loaded machine the wall clock also counts the waits for a CPU).
2. single-frame cases on one stack: ARP request, ICMP echo, UDP to a closed port, SYN to a
   closed port, SYN to a listener (each followed by the RST that clears the embryo).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from reference_stack.profiles import LINUX  # noqa: E402
from reference_stack.socket_api import AF_INET, SOCK_STREAM, TCP_NODELAY  # noqa: E402
from reference_stack.wire.arp import ARP_REQUEST, ArpRepr  # noqa: E402
from reference_stack.wire.ethernet import ETH_P_ARP, EthernetRepr  # noqa: E402
from reference_stack.wire.icmpv4 import Icmpv4Repr  # noqa: E402
from reference_stack.wire.ipv4 import IPPROTO_ICMP  # noqa: E402
from reference_stack.wire.tcp import RST, SYN  # noqa: E402
from tests.unit.refstack.harness import (  # noqa: E402
    IP_A,
    MAC_B,
    RawPeer,
    connected_pair,
    make_stack,
)


def bench_data_path(seconds: float) -> dict:
    link, a, _, b = connected_pair(LINUX)
    link.a.setsockopt(a, 6, TCP_NODELAY, 1)
    chunk = b"d" * 1448
    frames = 0
    calls = 0
    in_receive = 0.0  # time spent inside receive() alone
    # Time per call kind: send() (emits the data frame), receive() of data (emits the ACK),
    # recv(), receive() of the ACK.
    t_send = t_data = t_recv = t_ack = 0.0
    clock = time.perf_counter
    cpu_start = time.process_time()
    start = clock()
    while clock() - start < seconds:
        for _ in range(50):
            t0 = clock()
            sent = link.a.send(a, chunk, link.now)
            t_send += clock() - t0
            calls += 1
            for f in sent.reaction.frames:
                t0 = clock()
                r = link.b.receive(f, link.now)
                t1 = clock()
                t_data += t1 - t0
                frames += 1
                link.b.recv(b, 1 << 16, link.now)
                t_recv += clock() - t1
                for ack in r.frames:
                    t0 = clock()
                    link.a.receive(ack, link.now)
                    t_ack += clock() - t0
                    frames += 1
    elapsed = clock() - start
    cpu = time.process_time() - cpu_start
    in_receive = t_data + t_ack
    return {"bench": "data_path", "frames": frames, "seconds": round(elapsed, 3),
            "frames_per_s": round(frames / elapsed), "goal": ">= 50000",
            "frames_per_s_cpu": round(frames / cpu),  # (a loaded machine's waits left out)
            "frames_per_s_receive_only": round(frames / in_receive),
            "us_per_call": {"send": round(t_send / calls * 1e6, 2),
                            "receive_data": round(t_data / calls * 1e6, 2),
                            "recv": round(t_recv / calls * 1e6, 2),
                            "receive_ack": round(t_ack / calls * 1e6, 2)},
            "note": "frames_per_s includes the send() and recv() socket calls"}


def single_frames() -> tuple[list[tuple[str, bytes]], object]:
    s = make_stack(LINUX)
    lfd = s.socket(AF_INET, SOCK_STREAM).value
    s.bind(lfd, ("0.0.0.0", 80))
    s.listen(lfd, 1 << 30)
    peer = RawPeer(s)
    arp = EthernetRepr(b"\xff" * 6, MAC_B, ETH_P_ARP, payload=ArpRepr(
        ARP_REQUEST, MAC_B, peer.src_ip, b"\0" * 6, IP_A).emit()).emit()
    echo = peer.ip_frame(IPPROTO_ICMP, Icmpv4Repr.echo_request(1, 1, b"x" * 56).emit())
    udp_closed = peer.udp(5000, 9, b"u" * 32)
    syn_closed = peer.tcp(40000, 81, SYN, seq=1)
    syn_listen = peer.tcp(40001, 80, SYN, seq=1)
    rst_listen = peer.tcp(40001, 80, RST, seq=2)
    cases = [("arp_request", arp), ("icmp_echo", echo), ("udp_closed_port", udp_closed),
             ("syn_closed_port", syn_closed), ("syn_listener", syn_listen),
             ("rst_clears_embryo", rst_listen)]
    return cases, s


def bench_single_frames(seconds: float) -> list[dict]:
    cases, s = single_frames()
    out = []
    total = 0
    start_all = time.perf_counter()
    per_case = seconds / len(cases)
    counts = {name: 0 for name, _ in cases}
    elapsed = {name: 0.0 for name, _ in cases}
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for name, frame in cases:
            t0 = time.perf_counter()
            for _ in range(200):
                s.receive(frame, 0.0)
            elapsed[name] += time.perf_counter() - t0
            counts[name] += 200
    for name, _ in cases:
        out.append({"bench": f"single:{name}", "frames_per_s": round(counts[name] /
                                                                      elapsed[name])})
        total += counts[name]
    wall = time.perf_counter() - start_all
    out.append({"bench": "single_frame_mix", "frames": total, "seconds": round(wall, 3),
                "frames_per_s": round(total / wall), "per_case_s": round(per_case, 3)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()
    print(json.dumps(bench_data_path(args.seconds)))
    for line in bench_single_frames(args.seconds):
        print(json.dumps(line))


if __name__ == "__main__":
    main()
