#!/bin/sh
# The kernel CI gate of netconform, end to end (README "A CI gate for kernel changes"):
#   1. run the suites against the baseline kernel, 2. against the candidate kernel,
#   3. gate on verdicts, 4. gate on behaviour changes inside the RFCs' latitude,
#   5. one HTML report with both columns and the behaviour diff.
# Each run writes OUT/<run>/junit.xml for the CI system.
#
# Environment (all optional):
#   NETCONFORM   the netconform command (default: netconform; e.g. ./netconform/netconform)
#   BASE_KERNEL  the baseline kernel image (bzImage or vmlinux) for --target vm;
#                empty: the running kernel (--target linux)
#   CAND_KERNEL  the candidate kernel image; empty: the running kernel
#   BASE_ARGS, CAND_ARGS  more `netconform run` arguments for each run, split on spaces
#                (e.g. "-k tcp" or "--dut-sysctl net.ipv4.ip_default_ttl=100")
#   ACCEPT       an accept file for gate --behaviour (behaviour changes the change means)
#   OUT          the output folder (default: netconform-ci)
#   JOBS         parallel workers (default: 2)
# Exit: 0 no regression and no unaccepted behaviour change; 1 either; 2 a run or a gate
# could not complete (harness or usage error).
set -u
nc=${NETCONFORM:-netconform}
out=${OUT:-netconform-ci}
jobs=${JOBS:-2}

run() {  # run NAME KERNEL [ARGS...]
    name=$1 kernel=$2
    shift 2
    if [ -n "$kernel" ]; then
        set -- --target vm --kernel "$kernel" "$@"
    else
        set -- --target linux "$@"
    fi
    echo "netconform-gate: $name run: $nc run $* -n $jobs --out $out/$name" >&2
    $nc run "$@" -n "$jobs" --out "$out/$name"
    code=$?
    if [ "$code" -gt 1 ]; then  # 1 is failed tests: the gates judge those against the baseline
        echo "netconform-gate: the $name run did not complete (exit $code)" >&2
        exit 2
    fi
}

# shellcheck disable=SC2086  # BASE_ARGS and CAND_ARGS are meant to be split
run base "${BASE_KERNEL:-}" ${BASE_ARGS:-}
# shellcheck disable=SC2086
run candidate "${CAND_KERNEL:-}" ${CAND_ARGS:-}

base=$out/base/results.json
cand=$out/candidate/results.json
# Two kernels are what a kernel gate compares: --allow-target-change lets the verdict gate
# compare runs on different kernels (gate --behaviour compares kernels anyway).
$nc gate --allow-target-change --baseline "$base" "$cand"
verdicts=$?
if [ -n "${ACCEPT:-}" ]; then
    $nc gate --behaviour --accept "$ACCEPT" --baseline "$base" "$cand"
else
    $nc gate --behaviour --baseline "$base" "$cand"
fi
behaviour=$?
$nc report "$base" "$cand" --out "$out/report" || exit 2

if [ "$verdicts" -gt 1 ] || [ "$behaviour" -gt 1 ]; then
    exit 2
fi
if [ "$verdicts" -eq 1 ] || [ "$behaviour" -eq 1 ]; then
    exit 1
fi
exit 0
