"""Benchmark of the oracle's ESP (issue 15); prints JSON lines.

    python tests/unit/refstack/bench_ipsec.py [--seconds 1]

Per transform: ESP frames/s the reference stack takes in (a UDP datagram sealed by the
tester's EspPeer, each with the next sequence number, through the SA lookup, the replay
window, the ICV and decryption, the SPD-I check, to the socket) and sends (a UDP send on a
PROTECT policy, sealed on the SA).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from reference_stack.ipsec.config import (  # noqa: E402
    AES_CBC,
    AES_GCM,
    CHACHA20_POLY1305,
    HMAC_SHA256,
    IN,
    NULL_ENC,
    OUT,
    PROTECT,
    Algorithm,
    IpsecConfig,
    Policy,
    SecurityAssociation,
    Selector,
    Template,
)
from reference_stack.ipsec.peer import EspPeer  # noqa: E402
from reference_stack.profiles import LINUX  # noqa: E402
from reference_stack.wire.udp import UdpRepr  # noqa: E402
from tests.unit.refstack.harness import IP_A, IP_B, RawPeer, make_stack, udp_socket  # noqa: E402

A, B = "198.18.0.10", "198.18.0.11"
AUTH = {"auth": Algorithm(HMAC_SHA256, bytes(32))}
TRANSFORMS = {
    "aes-gcm-16": {"aead": Algorithm(AES_GCM, bytes(20), 128)},
    "chacha20-poly1305": {"aead": Algorithm(CHACHA20_POLY1305, bytes(36), 128)},
    "aes-cbc-hmac-sha256": {"enc": Algorithm(AES_CBC, bytes(16)), **AUTH},
    "null-hmac-sha256": {"enc": Algorithm(NULL_ENC, b""), **AUTH},
}


def _config(algo: dict) -> tuple[IpsecConfig, SecurityAssociation]:
    inbound = SecurityAssociation(0x200, B, A, replay_window=64, **algo)
    outbound = SecurityAssociation(0x100, A, B, **algo)
    policies = (Policy(OUT, Selector(f"{A}/32", f"{B}/32", 17), PROTECT, 0, (Template(),)),
                Policy(IN, Selector(f"{B}/32", f"{A}/32", 17), PROTECT, 0, (Template(),)))
    return IpsecConfig(policies, (outbound, inbound)), inbound


def bench(name: str, algo: dict, seconds: float) -> dict:
    config, inbound = _config(algo)
    s = make_stack(LINUX)
    s.set_ipsec(config)
    fd = udp_socket(s, 5000)
    raw, peer = RawPeer(s), EspPeer(inbound)
    udp = UdpRepr(40000, 5000, b"p" * 64).emit(IP_B, IP_A)
    frames = [raw.ip_frame(50, peer.seal(udp, 17)) for _ in range(4096)]
    clock = time.perf_counter
    received = 0
    t0 = clock()
    while clock() - t0 < seconds and received < len(frames):
        for frame in frames[received:received + 64]:
            s.receive(frame, 0.0)
            s.recvfrom(fd, 2048)
        received += 64
    t_in = clock() - t0
    sent = 0
    t0 = clock()
    while clock() - t0 < seconds:
        for _ in range(64):
            s.sendto(fd, b"q" * 64, (B, 6000), 0.0)
        sent += 64
    t_out = clock() - t0
    return {"bench": f"esp:{name}", "in_frames_per_s": round(received / t_in),
            "out_frames_per_s": round(sent / t_out)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    args = ap.parse_args()
    for name, algo in TRANSFORMS.items():
        print(json.dumps(bench(name, algo, args.seconds)))


if __name__ == "__main__":
    main()
