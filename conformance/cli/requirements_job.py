"""``requirements_json()`` (results.json's requirements with the oracle's rules, read from its
source with ``ast``: ~0.5-1 s) in a process of its own, started with the run, so the run's end
does not wait for it. A process, not a thread: CPython 3.11's parser is not safe against a
second thread compiling at the same time (``SystemError: AST constructor recursion depth
mismatch``), and pytest compiles (imports, assertion rewriting) while the run starts.

    python -m conformance.cli.requirements_job    # the requirements as JSON on stdout
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from conformance.requirements.vocabulary import requirements_json


class RequirementsJob:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", __name__], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)

    def result(self) -> dict[str, dict[str, Any]]:
        """The job's answer, or the same computed here if the job failed."""
        out, _ = self.proc.communicate()
        if self.proc.returncode == 0:
            try:
                return json.loads(out)
            except ValueError:
                pass
        return requirements_json()

    def cancel(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


if __name__ == "__main__":
    sys.stdout.write(json.dumps(requirements_json()))
