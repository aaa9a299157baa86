"""Deploy benchmark: the real Pulumi CLI and our dynamic providers against the emulator with
injected latency, next to two floors measured in the same run (see bench/README.md).

Run from the repository root: `.venv/bin/python -m bench [--help]` (or `make bench`).

- `run`: the command: each N end to end, the floors, the diagnostics, the JSON and the table
- `stackgen`: the generated stack (arguments for every registry resource) and the emulator's set-up
- `engine`: the phases through the real CLI (real stack and floor b), traces, explain runs
- `direct`: floor (a) and the provider-overhead measurements, run by `run` in a subprocess
- `procstats`: what a measured process used (wall, CPU per process, peak RSS), the machine
- `report`: the table and the targets
- `program.py`: the throw-away projects' Pulumi program; `pylib/`: modules on the PYTHONPATH of
  the processes the engine starts
"""

from __future__ import annotations

import re
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYLIB = BENCH / "pylib"
PY = str(ROOT / ".venv" / "bin" / "python")
STACK = "bench"
WORKERS = 4  # pulumi.dynamic's gRPC server: ThreadPoolExecutor(max_workers=4)
PHASES = ("up", "preview", "refresh", "change", "destroy")
#: Our providers' settings variables: removed from every measured process's environment, so
#: the real runs take their settings from stack config only.
SETTINGS_ENV = re.compile(r"^(POWERAUTH|PINGONE|PINGID)_")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)
