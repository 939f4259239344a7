"""Parse/emit rates of the wire codecs, one JSON line per operation.

cd /work/main && python tests/unit/wire/bench_wire.py [--seconds S]
"""

import argparse
import json
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository root

from wire_fuzzing import DST_IP, DST_MAC, SRC_IP, SRC_MAC  # noqa: E402

from reference_stack.wire.checksum import internet_checksum  # noqa: E402
from reference_stack.wire.ethernet import EthernetRepr  # noqa: E402
from reference_stack.wire.frame import build_frame, dissect  # noqa: E402
from reference_stack.wire.ipv4 import IPPROTO_TCP, IPPROTO_UDP, Ipv4Repr  # noqa: E402
from reference_stack.wire.tcp import (  # noqa: E402
    ACK,
    SYN,
    TcpOptMss,
    TcpOptNop,
    TcpOptSackPermitted,
    TcpOptTimestamps,
    TcpOptWindowScale,
    TcpRepr,
)
from reference_stack.wire.udp import UdpRepr  # noqa: E402


def best_rate(operation, seconds: float, rounds: int = 5) -> tuple[float, int]:
    """Calls per second of ``operation``: the best of ``rounds`` timed batches spanning about
    ``seconds`` in all (the best is the least disturbed by other load on the machine)."""
    calls, elapsed = timeit.Timer(operation).autorange()
    per_round = max(1, int(calls * seconds / rounds / elapsed))
    times = timeit.Timer(operation).repeat(repeat=rounds, number=per_round)
    return per_round / min(times), per_round * rounds


def cases():
    ip = Ipv4Repr(SRC_IP, DST_IP, IPPROTO_TCP, df=True)
    syn = TcpRepr(
        40000,
        80,
        1,
        0,
        SYN,
        64240,
        options=(
            TcpOptMss(1460),
            TcpOptSackPermitted(),
            TcpOptTimestamps(1, 0),
            TcpOptNop(),
            TcpOptWindowScale(7),
        ),
    )
    data = TcpRepr(40000, 80, 1, 2, ACK, 64240, b"x" * 1400)
    udp = UdpRepr(5353, 53, b"q" * 32)
    syn_frame = build_frame(SRC_MAC, DST_MAC, ip, syn)
    data_frame = build_frame(SRC_MAC, DST_MAC, ip, data)
    udp_frame = build_frame(SRC_MAC, DST_MAC, Ipv4Repr(SRC_IP, DST_IP, IPPROTO_UDP), udp)
    syn_eth = EthernetRepr.parse(syn_frame)
    syn_ip = Ipv4Repr.parse(syn_eth.payload)
    return {
        "dissect tcp syn+options frame": lambda: dissect(syn_frame),
        "dissect tcp 1400-byte data frame": lambda: dissect(data_frame),
        "dissect udp frame": lambda: dissect(udp_frame),
        "build tcp syn+options frame": lambda: build_frame(SRC_MAC, DST_MAC, ip, syn),
        "build tcp 1400-byte data frame": lambda: build_frame(SRC_MAC, DST_MAC, ip, data),
        "parse ethernet": lambda: EthernetRepr.parse(syn_frame),
        "parse ipv4": lambda: Ipv4Repr.parse(syn_eth.payload),
        "parse tcp syn+options": lambda: TcpRepr.parse(syn_ip.payload),
        "emit tcp syn+options": lambda: syn.emit(SRC_IP, DST_IP),
        "re-emit parsed ipv4 (checksum as parsed)": lambda: syn_ip.emit(),
        "emit ipv4 (checksum computed)": lambda: ip.emit(),
        "checksum 1460 bytes": lambda: internet_checksum(data_frame[34:]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per operation")
    args = parser.parse_args()
    for name, operation in cases().items():
        per_second, calls = best_rate(operation, args.seconds)
        print(
            json.dumps(
                {
                    "op": name,
                    "per_second": round(per_second),
                    "us_per_op": round(1e6 / per_second, 2),
                    "calls": calls,
                }
            )
        )


if __name__ == "__main__":
    main()
