# ruff: noqa: E402 - the guard below must come before the package imports
"""Deploy benchmark: the real Pulumi CLI and our dynamic providers against the emulator with
injected latency, next to two floors measured in the same run.

    .venv/bin/python -m bench [--n 200] [--latency-ms 20] [--scaling 50,200,800]
                              [--backend file|postgres] [--out bench/results/latest.json]
                                                                       (from the repository root)

For every N in {--n} and --scaling (default: 50 and --n; add 800 for the long run):
  real     pulumi up (N generated resources, every type in the registry) / preview (no change) /
           refresh / change (one callback URL, pulumi up) / destroy, through the real CLI
  floor a  the same API work without the engine: the providers' create/read/update/delete
           called directly from ThreadPoolExecutor(4) (bench/direct.py), on a reset emulator
  floor b  the engine alone: N trivial dynamic resources whose provider returns at once
           (bench/pylib/mfa_bench_noop.py), same names and dependencies, same five phases
With --backend postgres, the real stack's five phases run once more with the state in a
PostgreSQL table (a throwaway cluster, as `tools/dev.py postgres start` makes), and each phase's
time is given as a ratio to the file backend's in the same run.
For --n only: the provider's own overhead per call (direct calls, one at a time, HTTP time
subtracted), a pyinstrument profile, micro benchmarks, import time, pickle sizes, and a trace
of the provider process under the engine (bench/pylib/sitecustomize.py).
See bench/README.md for what every figure means.
"""

from __future__ import annotations

import sys

if not __package__:
    sys.exit("run the benchmark from the repository root as a module: .venv/bin/python -m bench [--help]")

import argparse
import inspect
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import BENCH, PHASES, PY, ROOT, SETTINGS_ENV, WORKERS, log
from bench.engine import PgState, explain, pulumi_phases
from bench.procstats import import_times, machine, measured
from bench.report import print_summary, targets
from bench.stackgen import GROUP_SIZE, Material, make_spec, mix, prepare_emulator
from tests._harness import Emulator
from tools import dev


def direct_run(
    emu: Emulator,
    spec: dict[str, Any],
    workdir: Path,
    workers: int,
    *,
    profile: Path | None = None,
    micro: bool = False,
    cpu_profile: Path | None = None,
) -> dict[str, Any]:
    spec_path = workdir / "spec.json"
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps(spec))
    result = workdir / "result.json"
    cmd = [
        PY,
        "-m",
        "bench.direct",
        "--spec",
        str(spec_path),
        "--emulator",
        emu.url,
        "--emulator-pid",
        str(emu.proc.pid),
        "--workers",
        str(workers),
        "--result",
        str(result),
    ]
    if profile is not None:
        cmd += ["--profile", str(profile)]
    if micro:
        cmd += ["--micro"]
    if cpu_profile is not None:
        cmd += ["--cpu-profile", str(cpu_profile)]
    env = {k: v for k, v in os.environ.items() if not SETTINGS_ENV.match(k)}
    res = measured(cmd, cwd=ROOT, env=env, emu=emu)
    if res["rc"] != 0:
        raise RuntimeError(f"bench.direct exited {res['rc']}\n{res['stderr'][-4000:]}")
    data: dict[str, Any] = json.loads(result.read_text())
    data["process"] = {k: res[k] for k in ("wall_s", "cpu_s", "peak_rss_mb", "peak_rss_total_mb")}
    return data


def started_like(first: Emulator, data_dir: Path) -> Emulator:
    """A second emulator served as `first` is (plain http, or TLS where the harness offers it)."""
    if "tls" in inspect.signature(Emulator.start).parameters:
        return Emulator.start(data_dir, tls=first.url.startswith("https:"))  # type: ignore[call-arg]
    return Emulator.start(data_dir)


def run_n(
    emu: Emulator,
    n: int,
    latency_ms: int,
    mat: Material,
    tmp: Path,
    primary: bool,
    explain_too: bool = True,
    postgres: tuple[dev.Postgres, Emulator] | None = None,
) -> dict[str, Any]:
    env_id = emu.info["pingone"]["environmentId"]
    out: dict[str, Any] = {"n": n}

    log(f"N={n}: floor (a) direct calls, {WORKERS} at once")
    ids = prepare_emulator(emu, n, latency_ms)
    spec = make_spec(n, ids, env_id, mat)
    out["mix"] = mix(spec)
    fa = direct_run(emu, spec, tmp / f"n{n}-floor-a", WORKERS)
    out["floor_a"] = fa["phases"]
    out["floor_a"]["preview"] = {
        "wall_s": 0.0,
        "cpu_s": 0.0,
        "calls": {"total": 0, "byRoute": {}},
        "note": "a preview makes no API call: its floor (a) is zero",
    }
    out["floor_a_overhead"] = fa["overhead"]
    for phase in ("up", "refresh", "change", "destroy"):
        p = out["floor_a"][phase]
        log(f"  floor-a {phase:8s} {p['wall_s']:7.2f} s  cpu {p['cpu_s']:6.2f} s  calls {p['calls']['total']:4d}")

    # Floor (b) and the real stack take turns, phase for phase (and the real stack with its state
    # in PostgreSQL, with --backend postgres): this machine's speed drifts by a quarter over
    # minutes (a VM's neighbours), so each ratio compares phases measured side by side. Floor (b)
    # makes no API call, so it shares the emulator that the real stack's run was prepared on.
    log(f"N={n}: floor (b) ({n} trivial dynamic resources) and the real stack, phase for phase in turn")
    ids = prepare_emulator(emu, n, latency_ms)
    spec = make_spec(n, ids, env_id, mat)
    runs = {
        "floor_b": pulumi_phases(emu, dict(spec, mode="noop"), tmp / f"n{n}-floor-b", "floor-b"),
        "real": pulumi_phases(emu, spec, tmp / f"n{n}-real", "real"),
    }
    if postgres is not None:
        cluster, emu_pg = postgres
        ids_pg = prepare_emulator(emu_pg, n, latency_ms)
        spec_pg = make_spec(n, ids_pg, emu_pg.info["pingone"]["environmentId"], mat)
        pg = PgState(cluster, table=f"bench_n{n}")
        runs["real_postgres"] = pulumi_phases(emu_pg, spec_pg, tmp / f"n{n}-real-pg", "real-pg", pg)
    for key in runs:
        out[key] = {}
    for turn in zip(*runs.values(), strict=True):
        for key, (phase, res) in zip(runs, turn, strict=True):
            out[key][phase] = res
    if postgres is not None:
        out["postgres_ratio"] = {
            phase: out["real_postgres"][phase]["wall_s"] / out["real"][phase]["wall_s"] for phase in PHASES
        }

    out["ratios"] = {}
    for phase in PHASES:
        a = out["floor_a"][phase]["wall_s"]
        b = out["floor_b"][phase]["wall_s"]
        floor = max(a, b)
        real = out["real"][phase]["wall_s"]
        out["ratios"][phase] = {
            "real_s": real,
            "floor_a_s": a,
            "floor_b_s": b,
            "floor_s": floor,
            "ratio": real / floor if floor else None,
            "bound_by": "a (API)" if a >= b else "b (engine)",
        }

    # What the real stack costs on top of floor (b), per process: the part that is ours (our
    # program code, our provider, the size of the state our resources write).
    out["attribution"] = {}
    for phase in PHASES:
        real, noop = out["real"][phase], out["floor_b"][phase]
        roles = sorted(set(real["cpu_by_process_s"]) | set(noop["cpu_by_process_s"]))
        out["attribution"][phase] = {
            "cpu_s_real_minus_floor_b": {
                r: round(real["cpu_by_process_s"].get(r, 0.0) - noop["cpu_by_process_s"].get(r, 0.0), 2) for r in roles
            },
            "state_bytes": {"real": real.get("state_bytes"), "floor_b": noop.get("state_bytes")},
        }

    if primary:
        log(f"N={n}: provider overhead, direct calls one at a time (no profiler)")
        ids = prepare_emulator(emu, n, latency_ms)
        seq = direct_run(emu, make_spec(n, ids, env_id, mat), tmp / f"n{n}-sequential", 1)
        out["overhead_sequential"] = seq["overhead"]
        out["overhead_sequential_by_phase"] = seq["overhead_by_phase"]
        out["sequential_phases"] = {
            k: {"wall_s": v["wall_s"], "cpu_s": v["cpu_s"], "calls": v["calls"]["total"]}
            for k, v in seq["phases"].items()
        }
        if subprocess.run([PY, "-c", "import pyinstrument"], capture_output=True).returncode == 0:
            log(f"N={n}: pyinstrument profile (wall time) of the direct calls (one at a time)")
            ids = prepare_emulator(emu, n, latency_ms)
            prof = tmp / "profile.html"
            direct_run(emu, make_spec(n, ids, env_id, mat), tmp / f"n{n}-profile", 1, profile=prof)
            out["profile_text"] = prof.with_suffix(".txt").read_text()
        else:
            log(
                "pyinstrument is not installed: skipping its profile "
                "(.venv/bin/python -m pip install pyinstrument==5.1.3)"
            )
        log(f"N={n}: CPU profile (cProfile, thread CPU time) of the direct calls (one at a time)")
        ids = prepare_emulator(emu, n, latency_ms)
        cpu = direct_run(
            emu, make_spec(n, ids, env_id, mat), tmp / f"n{n}-cpu", 1, cpu_profile=tmp / "direct-cpu.pstats"
        )
        out["direct_cpu_profile"] = cpu["cpu_profile"]
        log(f"N={n}: micro benchmarks (no network)")
        micro = direct_run(emu, make_spec(n, ids, env_id, mat), tmp / f"n{n}-micro", 1, micro=True)
        out["micro"] = micro
        if explain_too:
            log(f"N={n}: explain: up without state checkpoints (real, floor b) and program CPU profiles")
            out["explain"] = explain(emu, n, latency_ms, mat, tmp)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=200, help="resources in the main run (default 200)")
    ap.add_argument("--latency-ms", type=int, default=20, help="emulator latency per API call (default 20)")
    ap.add_argument(
        "--scaling",
        default=None,
        help="comma-separated N values also run end to end (default: 50 and --n; 800 is long)",
    )
    ap.add_argument("--out", default=str(BENCH / "results" / "latest.json"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary projects (logs, traces)")
    ap.add_argument(
        "--backend",
        choices=["file", "postgres"],
        default="file",
        help="postgres: also run the real stack with its state in PostgreSQL, as a ratio to the file backend",
    )
    ap.add_argument(
        "--no-explain", action="store_true", help="skip the diagnostic runs (up without checkpoints, program profiles)"
    )
    ns = ap.parse_args(argv)
    scaling = sorted({int(x) for x in (ns.scaling or f"50,{ns.n}").split(",") if x.strip()} | {ns.n})
    if any(k < GROUP_SIZE for k in scaling):
        ap.error(f"every N must be at least {GROUP_SIZE} (one group of each resource type)")

    started = time.perf_counter()
    engine = dev.engine_bin()
    os.environ["MFA_PUSH_ENGINE_BIN"] = str(engine)
    version = subprocess.run([str(engine / "pulumi"), "version"], capture_output=True, text=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="mfa-push-bench-"))
    log(f"work dir {tmp}; engine {version} in {engine}; N values {scaling}")
    # Plain http, as the recorded figures were measured (bench.direct talks to it without TLS).
    emu = Emulator.start(tmp / "emulator", tls=False)
    result: dict[str, Any] = {
        "machine": machine(),
        "params": {
            "n": ns.n,
            "latency_ms": ns.latency_ms,
            "scaling": scaling,
            "provider_workers": WORKERS,
            "pulumi_parallel": "engine default (8)",
            "pulumi_version": version,
            "backend": ns.backend,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "runs": {},
    }
    postgres = None
    try:
        if ns.backend == "postgres":
            tmp.chmod(0o755)  # the server runs as an unprivileged user, who must reach its directory
            cluster = dev.Postgres(tmp / "postgres")
            cluster.start()
            postgres = (cluster, started_like(emu, tmp / "emulator-pg"))
            pg_version = cluster.psql("SHOW server_version").strip()
            result["params"]["postgres_version"] = pg_version
            log(f"PostgreSQL {pg_version} on 127.0.0.1:{cluster.port} (cluster in {cluster.home})")
        mat = Material()
        result["import_times"] = import_times()
        for k in scaling:
            result["runs"][str(k)] = run_n(
                emu, k, ns.latency_ms, mat, tmp, primary=(k == ns.n), explain_too=not ns.no_explain, postgres=postgres
            )
    finally:
        emu.stop()
        if postgres is not None:
            postgres[0].stop()
            postgres[1].stop()
        if not ns.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    primary = result["runs"][str(ns.n)]
    result["params"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    foreign = [
        p.get("foreign_cpu_s", 0.0)
        for run in result["runs"].values()
        for side in ("real", "floor_b", "floor_a", "real_postgres")
        for p in run.get(side, {}).values()
    ]
    result["params"]["max_foreign_cpu_s_in_a_phase"] = max(foreign, default=0.0)
    result["targets"] = targets(result, ns.n)
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    out = Path(ns.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    profile_text = primary.pop("profile_text", "")
    if profile_text:
        out.with_name(out.stem + "-profile.txt").write_text(profile_text)
        primary["profile_text"] = str(out.with_name(out.stem + "-profile.txt"))
    out.write_text(json.dumps(result, indent=2, default=str))
    print_summary(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
