"""How long netstack takes to answer, the bound of the ``gvisor`` target's quiescence window
(JSON lines on stdout).

netstack answers some frames in the goroutine that read them from the link (an ICMP echo, a
datagram to a closed port) and hands TCP segments for an endpoint to a processor goroutine of
its TCP dispatcher (pkg/tcpip/transport/tcp/dispatcher.go): a SYN to a listener is answered
from there. Each sample is one frame sent and the time until its answer is read on the tester's
link; the run's maximum, measured on the machine as loaded as it is, is what a quiescence
window must exceed ("expect nothing" decides after the window passes with nothing sent).

    python tests/bench/gvisor_latency.py [--samples N] [--duts D]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import time

from conformance.author.templates import TCP, UDP, ICMPv4, IPv4, LinkDefaults, Payload, build
from conformance.author.templates import matches as template_matches
from conformance.fabric import naming
from conformance.fabric.namespaces import DutConfig
from conformance.targets.gvisor import GvisorTarget

LISTEN_PORT = 8080


def answer_time(link, frame: bytes, answer: tuple) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    link.send(frame)
    got, _ = link.expect(lambda f: template_matches(answer, f), 3.0)
    if got is None:
        raise AssertionError(f"no answer matching {answer!r} within 3 s")
    return time.perf_counter() - t0


def trail_after_barrier(link, frame: bytes, probe: bytes, answer: tuple,  # noqa: ANN001
                        reply: tuple) -> float:
    """Send ``frame`` then ``probe``; how long ``answer`` came after the probe's ``reply``
    (0 when it came before it)."""
    link.send(frame)
    link.send(probe)
    times: dict[str, float] = {}
    deadline = time.monotonic() + 3.0
    while len(times) < 2:
        got = link.recv(deadline)
        if got is None:
            raise AssertionError(f"missing {set(('answer', 'reply')) - set(times)} within 3 s")
        for name, template in (("answer", answer), ("reply", reply)):
            if template_matches(template, got):
                times.setdefault(name, time.perf_counter())
    return max(0.0, times["answer"] - times["reply"])


def sample_dut(target: GvisorTarget, samples: int, out: dict[str, list[float]]) -> None:
    bed = target.begin_test("bench-latency")
    try:
        bed.link.recorder = None
        ep = bed.endpoints
        defaults = LinkDefaults(ep.tester_mac, ep.dut_mac, ep.tester_ipv4, ep.dut_ipv4)
        fd, _ = bed.dut.socket_with_errno(socket.AF_INET, socket.SOCK_STREAM)
        bed.dut.bind_with_errno(fd, (ep.dut_ipv4, LISTEN_PORT))
        bed.dut.listen_with_errno(fd, 4096)
        for i in range(samples):
            port = 20000 + i
            syn = build((IPv4(), TCP(src_port=port, dst_port=LISTEN_PORT, flags="S", seq=1000)),
                        defaults)
            out.setdefault("tcp_listener_syn_ack", []).append(answer_time(
                bed.link, syn, (TCP(src_port=LISTEN_PORT, dst_port=port, flags="SA"),)))
            # The SYN and an echo request back to back: how long after the echo's reply (the
            # barrier) the SYN-ACK from the processor goroutine may still come.
            port += 50000 - 20000
            syn = build((IPv4(), TCP(src_port=port, dst_port=LISTEN_PORT, flags="S", seq=1000)),
                        defaults)
            echo = build((ICMPv4(type=8, rest=0xBA550000 | i), Payload(b"barrier")), defaults)
            out.setdefault("tcp_syn_ack_after_echo_reply", []).append(trail_after_barrier(
                bed.link, syn, echo, (TCP(src_port=LISTEN_PORT, dst_port=port, flags="SA"),),
                (ICMPv4(type=0, rest=0xBA550000 | i),)))
            bed.link.send(build((IPv4(), TCP(src_port=port, dst_port=LISTEN_PORT, flags="R",
                                             seq=1001)), defaults))
            port -= 50000 - 20000
            rst = build((IPv4(), TCP(src_port=port, dst_port=LISTEN_PORT, flags="R",
                                     seq=1001)), defaults)
            bed.link.send(rst)  # (the half-open connection gone again)
            if i % 10:  # (netstack rate-limits ICMP errors: 1000/s, stack/icmp_rate_limit.go)
                continue
            udp = build((IPv4(), UDP(src_port=port, dst_port=9), Payload(b"x")), defaults)
            out.setdefault("udp_closed_port_unreachable", []).append(answer_time(
                bed.link, udp, (ICMPv4(type=3, code=3),)))
        bed.dut.close_with_errno(fd)
    finally:
        target.end_test(bed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--duts", type=int, default=3)
    args = parser.parse_args()
    target = GvisorTarget(naming.WorkerPlan(naming.new_run_id(), 0), DutConfig())
    target.start()
    out: dict[str, list[float]] = {}
    try:
        for _ in range(args.duts):
            sample_dut(target, args.samples, out)
    finally:
        target.stop()
    for name, times in out.items():
        times.sort()
        print(json.dumps({
            "name": f"gvisor_answer_{name}", "n": len(times),
            "median_ms": round(statistics.median(times) * 1000, 2),
            "p99_ms": round(times[int(0.99 * (len(times) - 1))] * 1000, 2),
            "max_ms": round(times[-1] * 1000, 2)}), flush=True)


if __name__ == "__main__":
    main()
