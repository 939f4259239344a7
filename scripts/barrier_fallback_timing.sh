#!/usr/bin/env bash
# The whole suite against Linux twice: as is, and with the DUT ignoring ICMP echo (the barrier
# falls back to another probe, conformance/author/barriers.py). Prints both wall times and
# their ratio (issue 17: within 2x). Usage: scripts/barrier_fallback_timing.sh [OUT_PREFIX] [-n N]
set -u
prefix=${1:-/tmp/netconform-barrier}
workers=${2:-2}
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
[ -x .venv/bin/python ] && py=.venv/bin/python
t() { local s e; s=$(date +%s.%N); "$py" -m conformance.cli.main run -n "$workers" --out "$1" "${@:2}" >"$1.log" 2>&1; echo "exit $?" >>"$1.log"; e=$(date +%s.%N); echo "$e - $s" | bc; }
normal=$(t "$prefix-normal")
ignored=$(t "$prefix-echo-ignored" --dut-sysctl net.ipv4.icmp_echo_ignore_all=1)
echo "normal: ${normal} s ($(tail -3 "$prefix-normal.log" | head -1))"
echo "echo ignored: ${ignored} s ($(tail -3 "$prefix-echo-ignored.log" | head -1))"
echo "ratio: $(echo "scale=2; $ignored / $normal" | bc)"
