# ruff: noqa: E402 - the guard below must come before the package imports
"""Start-up benchmark: the fixed cost of one command, split into its parts, for the working tree
and a baseline git revision, back to back in one run.

    .venv/bin/python -m bench.startup [--baseline REV] [--n 30] [--runs 7] [--out FILE]
                                                                       (from the repository root)

The command is a no-change `pulumi preview --diff --policy-pack <pack>` of N PingOne push
credentials (N/3 NATIVE_APP applications x APNS / FCM_HTTP_V1 / HMS): it makes no API call, so
all of its time is start-up and the engine's own work. Each variant (the working tree; REV,
checked out in a temporary git worktree) gets its own engine (as its `_engine.ensure()` builds
it), its own emulator and project, and one untimed `up`. Then the two take turns, `--runs`
times each, alternating which goes first, so that a noisy machine slows both alike. A third
variant, the floor, runs the same command on N no-op dynamic resources (the engine, the
interpreters, the Pulumi SDK and pulumi-policy, without our library): what lies above it is ours.

Each run's process tree is sampled every 2 ms from /proc: when each process started (from its
`starttime`, 10 ms ticks) and was last seen, and its CPU. The parts:

    cli          pulumi's start until it starts the language host (flags, project, backend, state)
    langhost     the language host's start until the program's interpreter starts
    program      the program's interpreter: start to exit (imports, resource registrations)
    provider     the dynamic-provider host: start to exit, and its CPU (unpickling, check/diff)
    policy       the policy pack's processes: start to exit, and their CPU
    tail         the program's exit until pulumi exits (plan, policy analysis, summary)
"""

from __future__ import annotations

import sys

if not __package__:
    sys.exit("run from the repository root as a module: .venv/bin/python -m bench.startup [--help]")

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import PY, PYLIB, ROOT, SETTINGS_ENV, log
from bench.procstats import machine
from bench.stackgen import Material, native_apps
from tests._harness import Emulator, Project

TICK = os.sysconf("SC_CLK_TCK")
PARTS = ("cli", "langhost", "program", "provider", "policy", "tail")

PROGRAM = '''"""N PingOne push credentials (bench/startup.py), from $MFA_BENCH_SPEC."""

import json
import os
from pathlib import Path

from pulumi_mfa_push import pingone

for r in json.loads(Path(os.environ["MFA_BENCH_SPEC"]).read_text()):
    pingone.PushCredential(r.pop("name"), **r)
'''

#: The floor: the same command on N trivial dynamic resources (bench/pylib/mfa_bench_noop.py,
#: pickled by reference like ours), with the same policy pack. What is left when our library
#: costs nothing: the engine, the interpreters, the Pulumi SDK and pulumi-policy.
FLOOR_PROGRAM = '''"""N no-op dynamic resources (bench/startup.py's floor), named like the credentials."""

import json
import os
from pathlib import Path

from mfa_bench_noop import Noop

for r in json.loads(Path(os.environ["MFA_BENCH_SPEC"]).read_text()):
    Noop(r["name"], {"kind": "PushCredential", "index": 0})
'''


def credentials(n: int, env_id: str, native_ids: list[str], mat: Material) -> list[dict[str, Any]]:
    """N push credentials: one APNS, FCM_HTTP_V1 and HMS credential per application."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        app, kind = divmod(i, 3)
        args: dict[str, Any] = {
            "name": f"cred-{app}-{kind}",
            "environment_id": env_id,
            "application_id": native_ids[app],
        }
        if kind == 0:
            args.update(type="APNS", key="KEYID12345", team_id="TEAM123456", token=mat.p8_key(app))
        elif kind == 1:
            args.update(type="FCM_HTTP_V1", google_service_account_credentials=mat.service_account(f"start-{app}"))
        else:
            args.update(type="HMS", client_id=f"30{app:06d}", client_secret=f"hms-secret-{app}")
        out.append(args)
    return out


# ---- the process tree, sampled ---------------------------------------------------------------
@dataclass
class Proc:
    pid: int
    ppid: int
    argv: list[str]
    start: float  # seconds since boot (starttime, 10 ms ticks)
    last_seen: float = 0.0  # seconds since boot, when last seen running
    cpu: float = 0.0
    rss_mb: float = 0.0

    @property
    def role(self) -> str:
        head = Path(self.argv[0]).name if self.argv else ""
        if head == "pulumi":
            return "pulumi"
        if head == "pulumi-language-python":
            return "langhost"
        if head == "pulumi-resource-pulumi-python" or "pulumi.dynamic" in self.argv:
            return "provider"
        if any(a.endswith("pulumi-language-python-exec") for a in self.argv):
            return "program"
        if "python" in head and any((Path(a) / "PulumiPolicy.yaml").exists() for a in self.argv[1:3]):
            return "policy"
        if "python" in head:
            return "python (probe)"
        return "other"


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(ppid, starttime s, cpu s) from /proc/<pid>/stat, None when gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2 :].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[1]), int(fields[19]) / TICK, (int(fields[11]) + int(fields[12])) / TICK


def _argv(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def _uptime() -> float:
    return time.clock_gettime(time.CLOCK_BOOTTIME)


class Tree(threading.Thread):
    """Every `interval` s: new descendants of `root` (by a scan of /proc) and each one's CPU."""

    def __init__(self, root: int, interval: float = 0.002) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.procs: dict[int, Proc] = {}
        self.foreign: set[int] = set()
        self.t0 = _uptime() - 0.02
        self.done = threading.Event()

    def _scan(self) -> None:
        now = _uptime()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            if pid in self.foreign:
                continue
            known = self.procs.get(pid)
            st = _stat(pid)
            if st is None:
                continue
            ppid, start, cpu = st
            if known is None:
                if ppid not in self.procs:
                    if start < self.t0:  # older than our command: never one of its descendants
                        self.foreign.add(pid)
                    continue
                argv = _argv(pid)
                if argv is None:
                    continue
                known = self.procs[pid] = Proc(pid, ppid, argv, start)
            elif pid != self.root and known.argv == self.procs[known.ppid].argv:
                # A fork seen before its exec shows its parent's command line until then.
                known.argv = _argv(pid) or known.argv
            known.last_seen = now
            known.cpu = cpu

    def run(self) -> None:
        while not self.done.is_set():
            self._scan()
            time.sleep(self.interval)

    def stop(self) -> None:
        self.done.set()
        self.join()


def measure(cmd: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """One command: wall time, and the parts from its process tree."""
    t0 = _uptime()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tree = Tree(proc.pid)
    tree.procs[proc.pid] = Proc(proc.pid, os.getpid(), cmd, t0)
    tree.start()
    out, _ = proc.communicate()
    end = _uptime()
    tree.stop()
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} exited {proc.returncode}\n{text[-3000:]}")
    return {"wall_s": end - t0, "parts": parts(tree.procs, t0, end), "output": text}


def parts(procs: dict[int, Proc], t0: float, end: float) -> dict[str, Any]:
    by: dict[str, list[Proc]] = {}
    for p in procs.values():
        by.setdefault(p.role, []).append(p)

    def first(role: str) -> Proc | None:
        return min(by.get(role, []), key=lambda p: p.start, default=None)

    langhost = first("langhost")
    program = first("program")
    out: dict[str, Any] = {}
    out["cli"] = (langhost.start - t0) if langhost else None
    out["langhost"] = (program.start - langhost.start) if program and langhost else None
    out["program"] = (program.last_seen - program.start) if program else None
    for role in ("provider", "policy"):
        ps = by.get(role, [])
        out[role] = (max(p.last_seen for p in ps) - min(p.start for p in ps)) if ps else None
    out["tail"] = (end - program.last_seen) if program else None
    out["cpu"] = {role: round(sum(p.cpu for p in ps), 3) for role, ps in sorted(by.items())}
    out["processes"] = {role: len(ps) for role, ps in sorted(by.items())}
    return out


# ---- one variant: the working tree or a revision ----------------------------------------------
@dataclass
class Variant:
    name: str
    root: Path
    bin_dir: Path
    pythonpath: list[str] = field(default_factory=list)
    program: str = PROGRAM
    project: Project | None = None
    env: dict[str, str] = field(default_factory=dict)
    emulator: Emulator | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)

    def command(self) -> list[str]:
        assert self.project is not None
        pack = self.root / "policies"
        return [
            self.project.pulumi_bin,
            "preview",
            "--diff",
            "--policy-pack",
            str(pack),
            "--stack",
            "start",
            "--non-interactive",
        ]


def engine_of(root: Path, pythonpath: list[str]) -> Path:
    """The engine the variant's own code builds (cached by its key, so usually found at once)."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(pythonpath)
    out = subprocess.run(
        [PY, "-c", "from pulumi_mfa_push import _engine; print(_engine.ensure())"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"engine for {root}: {out.stderr[-2000:]}")
    return Path(out.stdout.strip().splitlines()[-1])


def prepare(v: Variant, tmp: Path, n: int, mat: Material) -> None:
    emu = v.emulator = Emulator.start(tmp / f"{v.name.split()[0]}-emulator")
    native = native_apps(emu, (n + 2) // 3)
    spec = credentials(n, emu.info["pingone"]["environmentId"], native, mat)
    work = tmp / f"{v.name.split()[0]}-project"
    project = v.project = Project(work, emu, program=v.program)
    (work / "spec.json").write_text(json.dumps(spec))
    env = {k: val for k, val in project.env.items() if not SETTINGS_ENV.match(k)}
    env["PATH"] = f"{v.bin_dir}{os.pathsep}{env['PATH']}"
    env["MFA_BENCH_SPEC"] = str(work / "spec.json")
    env.pop("PYTHONPATH", None)
    if v.pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(v.pythonpath)
    project.env = v.env = env
    project.pulumi_bin = str(v.bin_dir / "pulumi")
    project.init(stack="start")
    project.up(stack="start")
    emu.zero()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", default="HEAD", help="git revision to compare with (default HEAD)")
    ap.add_argument("--n", type=int, default=30, help="push credentials in the stack (default 30)")
    ap.add_argument("--runs", type=int, default=7, help="timed previews per variant (default 7)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "startup.json")
    ap.add_argument("--keep", action="store_true", help="keep the temporary projects and worktree")
    args = ap.parse_args(argv)

    rev = subprocess.run(
        ["git", "rev-parse", "--short", args.baseline], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="mfa-startup-"))
    worktree = tmp / "baseline"
    git = ["git", "worktree", "add", "--detach", str(worktree), rev]
    subprocess.run(git, cwd=ROOT, check=True, capture_output=True)
    variants: list[Variant] = []
    try:
        log(f"engines: baseline {rev} and the working tree (built once per key, then cached)")
        base_path = [str(worktree / "provider")]
        variants = [
            Variant(f"baseline {rev}", worktree, engine_of(worktree, base_path), base_path),
            Variant("tree", ROOT, engine_of(ROOT, [])),
            Variant("floor", ROOT, engine_of(ROOT, []), [str(PYLIB)], FLOOR_PROGRAM),
        ]
        mat = Material()
        for v in variants:
            log(f"{v.name}: emulator, project, untimed up of {args.n} credentials")
            prepare(v, tmp, args.n, mat)
        for v in variants:  # one untimed preview each: page caches, .pyc files
            measure(v.command(), v.project.dir, v.env)  # type: ignore[union-attr]
        for i in range(args.runs):
            for v in variants if i % 2 == 0 else variants[::-1]:  # each takes each place in turn
                assert v.emulator is not None and v.project is not None
                v.emulator.zero()
                res = measure(v.command(), v.project.dir, v.env)
                calls = v.emulator.requests()["total"]
                if calls:
                    raise RuntimeError(f"{v.name}: the no-change preview made {calls} API calls")
                if "to update" in res["output"] or "to create" in res["output"] or "to delete" in res["output"]:
                    raise RuntimeError(f"{v.name}: the preview is not a no-change preview:\n{res['output'][-2000:]}")
                res.pop("output")
                v.runs.append(res)
                log(f"  {v.name:18s} run {i + 1}: {res['wall_s']:.3f} s  " + _parts_line(res["parts"]))
        report = summarize(variants, args, rev)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))
        print_report(report)
        log(f"wrote {args.out}")
    finally:
        for v in variants:
            if v.emulator is not None:
                v.emulator.stop()
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, capture_output=True)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _parts_line(p: dict[str, Any]) -> str:
    shown = [f"{k} {p[k] * 1000:.0f}" for k in PARTS if p.get(k) is not None]
    return "ms: " + ", ".join(shown) + f"  cpu {p['cpu']}"


def _median(values: list[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return statistics.median(got) if got else None


def summarize(variants: list[Variant], args: argparse.Namespace, rev: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "command": f"pulumi preview --diff --policy-pack <pack> (no change, {args.n} PingOne push credentials)",
        "runs": args.runs,
        "baseline": rev,
        "machine": machine(),
        "variants": {},
    }
    for v in variants:
        roles = sorted({r for run in v.runs for r in run["parts"]["cpu"]})
        out["variants"][v.name] = {
            "wall_s": {"median": _median([r["wall_s"] for r in v.runs]), "min": min(r["wall_s"] for r in v.runs)},
            "parts_s": {k: _median([r["parts"][k] for r in v.runs]) for k in PARTS},
            "cpu_s": {role: _median([r["parts"]["cpu"].get(role) for r in v.runs]) for role in roles},
            "processes": v.runs[-1]["parts"]["processes"],
            "all_runs": v.runs,
        }
    base, tree, floor = (out["variants"][v.name] for v in variants)
    out["above_floor_s"] = {
        "baseline": base["wall_s"]["median"] - floor["wall_s"]["median"],
        "tree": tree["wall_s"]["median"] - floor["wall_s"]["median"],
    }
    out["floor_over_baseline"] = floor["wall_s"]["median"] / base["wall_s"]["median"]
    out["ratio_median"] = tree["wall_s"]["median"] / base["wall_s"]["median"]
    out["ratio_min"] = tree["wall_s"]["min"] / base["wall_s"]["min"]
    out["target"] = 0.5
    return out


def print_report(report: dict[str, Any]) -> None:
    names = list(report["variants"])
    print(f"\nStart-up: {report['command']}, median of {report['runs']} runs each, alternating\n")
    print("| part | " + " | ".join(names) + " | tree / baseline |")
    print("|---|" + "---:|" * (len(names) + 1))
    roles = sorted({r for n in names for r in report["variants"][n]["cpu_s"]})
    rows = [("wall", lambda v: v["wall_s"]["median"])]
    rows += [(k, lambda v, k=k: v["parts_s"][k]) for k in PARTS]
    rows += [(f"cpu {role}", lambda v, role=role: v["cpu_s"].get(role)) for role in roles]
    for label, get in rows:
        vals = [get(report["variants"][n]) for n in names]
        ratio = f"{vals[1] / vals[0]:.2f}x" if vals[0] and vals[1] is not None else "-"
        cells = [f"{x * 1000:.0f} ms" if x is not None else "-" for x in vals]
        print(f"| {label} | " + " | ".join(cells) + f" | {ratio} |")
    verdict = "met" if report["ratio_median"] <= report["target"] else "missed"
    above = report["above_floor_s"]
    print(
        f"\nwall ratio (tree / baseline): median {report['ratio_median']:.2f}x, best {report['ratio_min']:.2f}x; "
        f"target <= {report['target']}x: {verdict}\n"
        f"above the floor (ours): baseline {above['baseline'] * 1000:.0f} ms, tree {above['tree'] * 1000:.0f} ms; "
        f"the floor alone is {report['floor_over_baseline']:.2f}x of the baseline"
    )


if __name__ == "__main__":
    sys.exit(main())
