"""Run the wire parsers and dissect over 100,000 random and mutated inputs.

    cd /work/main && python tests/unit/wire/fuzz_parse.py [--count N] [--seed S]

Prints one JSON line with the count checked; any exception other than WireError aborts
with its traceback (and a non-zero exit status).
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository root

from wire_fuzzing import fuzz  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    checked = fuzz(args.count, args.seed)
    elapsed = time.perf_counter() - started
    print(json.dumps({"checked": checked, "seed": args.seed, "seconds": round(elapsed, 2)}))


if __name__ == "__main__":
    main()
