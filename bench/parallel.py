# ruff: noqa: E402 - the guard below must come before the package imports
"""Does `pulumi up` scale with `--parallel`? The real generated stack (bench/stackgen.py) deployed
with `mfa-push:providerHosts` x `--parallel` on a grid, at an API latency where calls dominate.

    .venv/bin/python -m bench.parallel [--n 200] [--latency-ms 150] [--hosts 1,2,4]
                                       [--parallel 8,16,32] [--out FILE]   (from the repository root)

One dynamic-provider host serves 4 calls at once (upstream's pulumi.dynamic), so with one host
`--parallel` above 4 buys nothing; each host of `mfa-push:providerHosts` adds 4. Each cell is
one timed `up` (a fresh stack on a reset emulator) followed by an untimed `destroy`; the emulator's
`maxInFlight` says how many calls were really served at once."""

from __future__ import annotations

import sys

if not __package__:
    sys.exit("run from the repository root as a module: .venv/bin/python -m bench.parallel [--help]")

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench import ROOT, STACK, log
from bench.engine import make_project, pulumi_cmd, summary_line
from bench.procstats import cpu_by_process, machine, measured
from bench.stackgen import Material, make_spec, prepare_emulator
from tests._harness import Emulator


def cell(emu: Emulator, n: int, latency_ms: int, hosts: int, parallel: int, mat: Material, tmp: Path) -> dict[str, Any]:
    ids = prepare_emulator(emu, n, latency_ms)
    spec = make_spec(n, ids, emu.info["pingone"]["environmentId"], mat)
    project, env, _ = make_project(emu, spec, tmp / f"h{hosts}-p{parallel}")
    project.run("config", "set", "mfa-push:providerHosts", str(hosts), stack=STACK)
    res = measured([*pulumi_cmd(project, "up"), "--parallel", str(parallel)], cwd=project.dir, env=env, emu=emu)
    out = res.pop("stdout") + res.pop("stderr")
    if res["rc"] != 0:
        raise RuntimeError(f"up with {hosts} hosts, --parallel {parallel}: exit {res['rc']}\n{out[-3000:]}")
    project.run("destroy", "--yes", "--skip-preview", stack=STACK)
    row = {
        "hosts": hosts,
        "parallel": parallel,
        "wall_s": round(res["wall_s"], 2),
        "max_in_flight": res["calls"]["maxInFlight"],
        "calls": res["calls"]["total"],
        "cpu_s": round(res["cpu_s"], 2),
        "cpu_by_process_s": res["cpu_by_process_s"],
        "peak_rss_mb": res["peak_rss_mb"],
        "foreign_cpu_s": res["foreign_cpu_s"],
        "summary": summary_line(out),
    }
    log(
        f"  hosts {hosts} --parallel {parallel:3d}: up {row['wall_s']:6.2f} s  in flight {row['max_in_flight']:3d}  "
        f"calls {row['calls']}  {cpu_by_process(res)}  foreign cpu {row['foreign_cpu_s']:.2f}"
    )
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.parallel", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--latency-ms", type=int, default=150)
    ap.add_argument("--hosts", default="1,2,4")
    ap.add_argument("--parallel", default="8,16,32")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "parallel.json")
    args = ap.parse_args(argv)
    hosts = [int(x) for x in args.hosts.split(",")]
    parallel = [int(x) for x in args.parallel.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="mfa-parallel-"))
    emu = Emulator.start(tmp / "emulator")
    rows: list[dict[str, Any]] = []
    try:
        mat = Material()
        log(f"N={args.n}, {args.latency_ms} ms per call; hosts {hosts} x --parallel {parallel}")
        for h in hosts:
            for p in parallel:
                rows.append(cell(emu, args.n, args.latency_ms, h, p, mat, tmp))
    finally:
        emu.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report = {"n": args.n, "latency_ms": args.latency_ms, "machine": machine(), "cells": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\n`up` of N={args.n} at {args.latency_ms} ms per call: wall s (most calls in flight)\n")
    print("| hosts | " + " | ".join(f"--parallel {p}" for p in parallel) + " |")
    print("|---:|" + "---:|" * len(parallel))
    for h in hosts:
        cells = [next(r for r in rows if r["hosts"] == h and r["parallel"] == p) for p in parallel]
        print(f"| {h} | " + " | ".join(f"{c['wall_s']:.2f} ({c['max_in_flight']})" for c in cells) + " |")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
