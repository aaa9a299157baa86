"""The pulumi side: a throw-away project per run, the five phases through the real CLI (the real
stack and floor b), the provider-process trace, and the explain runs."""

from __future__ import annotations

import json
import os
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import BENCH, PHASES, PYLIB, SETTINGS_ENV, STACK, log
from bench.procstats import cpu_by_process, measured
from bench.stackgen import Material, apply_change, make_spec, prepare_emulator
from tests._harness import Emulator, Project
from tools import dev


@dataclass
class PgState:
    """State in a table of a PostgreSQL cluster (`--backend postgres`) instead of a file backend."""

    cluster: dev.Postgres
    table: str

    @property
    def url(self) -> str:
        return self.cluster.url(table=self.table)

    def server_pid(self) -> int:
        return int((self.cluster.home / "data" / "postmaster.pid").read_text().split()[0])

    def state_bytes(self) -> int | None:
        """Size of the stack's checkpoint (decoded: the rows hold it as base64 in JSON)."""
        out = self.cluster.psql(
            f"SELECT length(decode(data->>'data', 'base64')) FROM {self.table} "  # noqa: S608 - our table name
            f"WHERE key LIKE '%/.pulumi/stacks/mfa-push/{STACK}.json'"
        ).strip()
        return int(out) if out else None


def summary_line(text: str) -> str:
    """The engine's 'Resources:' block, one line."""
    m = re.search(r"Resources:\n((?:\s+.+\n?)+)", text)
    return " ".join(m.group(1).split()) if m else ""


def trace_summary(trace_dir: Path) -> dict[str, Any]:
    """The provider process as seen from inside (bench/pylib/sitecustomize.py)."""
    rpcs: list[dict[str, Any]] = []
    ready: list[float] = []
    ready_cpu: list[float] = []
    connects = 0
    procs = 0
    for f in sorted(trace_dir.glob("provider-*.jsonl")):
        procs += 1
        recs = [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
        for rec in recs:
            if rec["event"] == "ready":
                ready.append(rec["t"])
                ready_cpu.append(rec["cpu"])
            elif rec["event"] == "rpc":
                rpcs.append(rec)
        connects += max([r.get("connects", 0) for r in recs if r["event"] == "rpc"] or [0])
    by: dict[str, Any] = {}
    for name in sorted({r["rpc"] for r in rpcs}):
        items = [r for r in rpcs if r["rpc"] == name]
        walls = sorted(r["wall"] for r in items)
        by[name] = {
            "n": len(items),
            "wall_sum_s": round(sum(walls), 3),
            "wall_median_ms": round(statistics.median(walls) * 1000, 2),
            "wall_max_ms": round(walls[-1] * 1000, 1),
            "cpu_sum_s": round(sum(r["cpu"] for r in items), 3),
            "http_sum_s": round(sum(r["http"] for r in items), 3),
            "non_http_median_ms": round(statistics.median(r["wall"] - r["http"] for r in items) * 1000, 2),
            "cpu_median_ms": round(statistics.median(r["cpu"] for r in items) * 1000, 2),
            "calls": sum(r["calls"] for r in items),
        }
    first = min((r for r in rpcs if r["rpc"] != "Configure"), key=lambda r: r["t"], default=None)
    span = (max(r["t"] + r["wall"] for r in rpcs) - min(r["t"] for r in rpcs)) if rpcs else 0.0
    return {
        "provider_processes": procs,
        "ready_after_s": round(statistics.median(ready), 3) if ready else None,
        "startup_cpu_s": round(statistics.median(ready_cpu), 3) if ready_cpu else None,
        # The first Check/Read/Diff/Delete unpickles the provider, importing pulumi_mfa_push.
        "first_rpc": {
            "rpc": first["rpc"],
            "wall_ms": round(first["wall"] * 1000, 1),
            "cpu_ms": round(first["cpu"] * 1000, 1),
        }
        if first
        else None,
        "rpc_span_s": round(span, 3),
        "busy_fraction_of_4_workers": round(sum(r["wall"] for r in rpcs) / (4 * span), 3) if span else None,
        "tcp_connects": connects,
        "by_rpc": by,
    }


COMMANDS = {
    "up": ["up", "--yes", "--skip-preview"],
    "preview": ["preview", "--diff"],
    "refresh": ["refresh", "--yes", "--skip-preview"],
    "change": ["up", "--yes", "--skip-preview"],
    "destroy": ["destroy", "--yes", "--skip-preview"],
}


def make_project(
    emu: Emulator, spec: dict[str, Any], workdir: Path, pg: PgState | None = None
) -> tuple[Project, dict[str, str], Path]:
    """A throw-away project (tests/_harness.Project) running bench/program.py on `spec`; untimed."""
    project = Project(workdir, emu, program=(BENCH / "program.py").read_text(), backend_url=pg.url if pg else None)
    spec_path = workdir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    # The providers must get their settings from stack config, never from our environment.
    env = {k: v for k, v in project.env.items() if not SETTINGS_ENV.match(k)}
    env["PYTHONPATH"] = os.pathsep.join([str(PYLIB), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    env["MFA_BENCH_SPEC"] = str(spec_path)
    project.env = env
    project.init(stack=STACK)
    return project, env, spec_path


def state_bytes(workdir: Path) -> int | None:
    """Size of the stack's state in the project's file backend, None before the first `up`."""
    state = workdir / ".backend" / ".pulumi" / "stacks" / "mfa-push" / f"{STACK}.json"
    return state.stat().st_size if state.exists() else None


def pulumi_cmd(project: Project, phase: str) -> list[str]:
    return [project.pulumi_bin, *COMMANDS[phase], "--stack", STACK, "--non-interactive"]


def run_phase(
    project: Project, phase: str, env: dict[str, str], emu: Emulator, what: str, pg: PgState | None = None
) -> dict[str, Any]:
    """One measured pulumi command; its output goes to <project>/<phase>.log and into the result."""
    server = pg.server_pid() if pg else None
    res = measured(pulumi_cmd(project, phase), cwd=project.dir, env=env, emu=emu, server_pid=server)
    out = res["output"] = res.pop("stdout") + res.pop("stderr")
    (project.dir / f"{phase}.log").write_text(out)
    if res["rc"] != 0:
        raise RuntimeError(f"{what} {phase}: pulumi exited {res['rc']}\n{out[-4000:]}")
    return res


def pulumi_phases(
    emu: Emulator, spec: dict[str, Any], workdir: Path, label: str, pg: PgState | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """init a throw-away project (untimed), then the five timed phases one by one (state in `pg`
    if given): each `next()` runs one phase, so two runs can take turns."""
    project, env, spec_path = make_project(emu, spec, workdir, pg)
    for phase in PHASES:
        if phase == "change":
            spec_path.write_text(json.dumps(apply_change(spec)))
        trace_dir = workdir / "trace" / phase
        trace_dir.mkdir(parents=True)
        env["MFA_BENCH_TRACE_DIR"] = str(trace_dir)
        res = run_phase(project, phase, env, emu, label, pg)
        res["summary"] = summary_line(res.pop("output"))
        res["state_bytes"] = pg.state_bytes() if pg else state_bytes(workdir)
        res["provider_trace"] = trace_summary(trace_dir)
        server = f"  postgres cpu {res['postgres_cpu_s']:.2f}" if pg else ""
        log(
            f"  {label:7s} {phase:8s} {res['wall_s']:7.2f} s  cpu {res['cpu_s']:6.2f} s  "
            f"calls {res['calls']['total']:4d}  {res['summary'].split(' Duration')[0]}  foreign cpu "
            f"{res['foreign_cpu_s']:.2f}  cpu by process {cpu_by_process(res)}{server}"
        )
        yield phase, res


#: Frames whose cumulative CPU the program profile reports (file fragment, function).
PROGRAM_FRAMES = (
    ("pulumi_mfa_push/_provider.py", "declare", "DynamicResource.declare (ours, incl. the SDK's Resource.__init__)"),
    ("pulumi/resource.py", "__init__", "__init__s of pulumi/resource.py (SDK; nested calls counted in each)"),
    ("pulumi/dynamic/dynamic.py", "serialize_provider", "dill serialize_provider (once per provider class)"),
    ("pulumi/output.py", "secret", "Output.secret (our secret inputs)"),
    ("pulumi/resource.py", "merge", "ResourceOptions.merge (our additional_secret_outputs)"),
    ("pulumi/runtime/rpc.py", "serialize_properties", "rpc.serialize_properties"),
)


def program_profile(path: Path, n: int) -> dict[str, Any]:
    import pstats

    if not path.exists():
        return {"error": "no profile written"}
    raw = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    frames = {}
    for frag, func, label in PROGRAM_FRAMES:
        cum = sum(v[3] for k, v in raw.items() if frag in k[0] and k[2] == func)
        frames[label] = {"cpu_s": round(cum, 3), "ms_per_resource": round(cum / n * 1000, 3)}
    top = sorted(raw.items(), key=lambda kv: -kv[1][2])[:15]
    return {
        "profiled_cpu_s": round(total, 3),
        "frames": frames,
        "top_self_cpu": [
            {"function": f"{Path(k[0]).name}:{k[1]}({k[2]})", "self_ms": round(v[2] * 1000, 1)} for k, v in top
        ],
    }


def explain(emu: Emulator, n: int, latency_ms: int, mat: Material, tmp: Path) -> dict[str, Any]:
    """Where the engine-side time goes: up without the engine's per-step state checkpoints
    (PULUMI_SKIP_CHECKPOINTS=true), real vs floor (b); a CPU profile of the program process
    (taken on a preview, whose time is not used); floor (b) carrying our arguments as data."""
    env_id = emu.info["pingone"]["environmentId"]
    out: dict[str, Any] = {}
    for label in ("real", "noop"):
        ids = prepare_emulator(emu, n, latency_ms)
        spec = make_spec(n, ids, env_id, mat, mode=label)
        wd = tmp / f"n{n}-explain-{label}"
        project, env, _ = make_project(emu, spec, wd)
        env["PULUMI_SKIP_CHECKPOINTS"] = "true"
        up = run_phase(project, "up", env, emu, f"explain {label}")
        env["MFA_BENCH_PROFILE_PROGRAM"] = str(wd / "program.pstats")
        run_phase(project, "preview", env, emu, f"explain {label}")
        out[label] = {
            "up_without_checkpoints": {k: up[k] for k in ("wall_s", "cpu_s", "cpu_by_process_s", "peak_rss_mb")},
            "program_profile": program_profile(wd / "program.pstats", n),
        }
        log(
            f"  explain {label:5s} up without checkpoints {up['wall_s']:6.2f} s  cpu {up['cpu_s']:5.2f} s  "
            + cpu_by_process(up)
        )
        out[label]["state_bytes_after_up"] = state_bytes(wd)
    # Floor (b) carrying the real resources' arguments as data, plain or as one secret per
    # resource: is the engine's extra cost for our stack the size of the state or its secrets?
    for payload in ("plain", "secret"):
        emu.reset()
        emu.faults(latencyMs=latency_ms, probability=0)
        spec = dict(make_spec(n, ids, env_id, mat, mode="noop"), payload=payload)
        wd = tmp / f"n{n}-explain-noop-{payload}"
        project, env, _ = make_project(emu, spec, wd)
        up = run_phase(project, "up", env, emu, f"explain noop+{payload}")
        out[f"noop_with_{payload}_payload"] = {
            "up": {k: up[k] for k in ("wall_s", "cpu_s", "cpu_by_process_s", "peak_rss_mb", "foreign_cpu_s")},
            "state_bytes_after_up": state_bytes(wd),
        }
        log(
            f"  explain floor b + {payload} payload: up {up['wall_s']:6.2f} s  cpu {up['cpu_s']:5.2f} s  "
            f"pulumi rss {up['peak_rss_mb'].get('pulumi', 0):.0f} MB  {cpu_by_process(up)}"
        )
    return out
