"""Deploy benchmark: the real Pulumi CLI and our dynamic providers against the emulator with
injected latency, next to two floors measured in the same run.

    .venv/bin/python bench/run.py [--n 200] [--latency-ms 20] [--scaling 50,200,800]
                                  [--out bench/results/latest.json]

For every N in {--n} and --scaling (default: 50 and --n; add 800 for the long run):
  real     pulumi up (N generated resources, all 8 types) / preview (no change) / refresh /
           change (one callback URL, pulumi up) / destroy, through the real CLI
  floor a  the same API work without the engine: the providers' create/read/update/delete
           called directly from ThreadPoolExecutor(4) (bench/direct.py), on a reset emulator
  floor b  the engine alone: N trivial dynamic resources whose provider returns at once
           (bench/pylib/mfa_bench_noop.py), same names and dependencies, same five phases
For --n only: the provider's own overhead per call (direct calls, one at a time, HTTP time
subtracted), a pyinstrument profile, micro benchmarks, import time, pickle sizes, and a trace
of the provider process under the engine (bench/pylib/sitecustomize.py).
See bench/README.md for what every figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "tests"))
from _harness import Emulator, Project, dev, free_port  # noqa: E402,F401
from _material import apns_p8, rsa_pem  # noqa: E402

PYLIB = BENCH / "pylib"
PY = str(ROOT / ".venv" / "bin" / "python")
STACK = "bench"
WORKERS = 4  # pulumi.dynamic's gRPC server: ThreadPoolExecutor(max_workers=4)
PHASES = ("up", "preview", "refresh", "change", "destroy")
SETTINGS_ENV = re.compile(r"^(POWERAUTH|PINGONE|PINGID)_")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---- machine ----------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


# ---- process measurements ---------------------------------------------------------------
def proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def system_busy_cpu() -> float:
    """Busy CPU seconds of the whole machine so far (all cores, /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                out += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
    except OSError:
        pass
    return out


def _role(pid: int, cache: dict[int, str]) -> str:
    if pid in cache:
        return cache[pid]
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "other"
    args = [a.decode(errors="replace") for a in argv if a]
    text = " ".join(args)
    if "pulumi.dynamic" in text:
        role = "provider"
    elif "pulumi-language-python-exec" in text:
        role = "program"
    elif args and args[0].endswith("pulumi-language-python"):
        role = "language-host"
    elif args and args[0].endswith("/pulumi"):
        role = "pulumi"
    elif "direct.py" in text:
        role = "direct"
    else:
        role = "other"
    if role != "other" or len(args) > 1:
        cache[pid] = role
    return role


class RssSampler(threading.Thread):
    """Every 100 ms: VmRSS of the process tree under `root`, peak per role and peak total."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.stop_event = threading.Event()
        self.peaks: dict[str, float] = {}
        self.peak_total = 0.0
        self.samples = 0
        self.roles: dict[int, str] = {}
        self.cpu: dict[int, float] = {}  # last seen utime+stime per pid (exits lose < 100 ms)

    def sample(self) -> None:
        todo, seen, total = [self.root], set(), 0.0
        per: dict[str, float] = {}
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            todo += _children(pid)
            cpu = proc_cpu(pid)
            if cpu:
                self.cpu[pid] = cpu
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        mb = int(line.split()[1]) / 1024
                        role = _role(pid, self.roles)
                        per[role] = per.get(role, 0.0) + mb
                        total += mb
                        break
            except OSError:
                continue
        for role, mb in per.items():
            self.peaks[role] = max(self.peaks.get(role, 0.0), mb)
        self.peak_total = max(self.peak_total, total)
        self.samples += 1

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(self.interval)

    def stop(self) -> None:
        self.stop_event.set()
        self.join()

    def cpu_by_role(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, cpu in self.cpu.items():
            role = self.roles.get(pid, "other")
            out[role] = round(out.get(role, 0.0) + cpu, 2)
        return dict(sorted(out.items()))


def measured(cmd: list[str], *, cwd: Path, env: dict[str, str], emu: Emulator, timeout: float = 3600) -> dict[str, Any]:
    """Run one command; wall, children's CPU (rusage delta), emulator CPU, peak RSS, API calls."""
    emu.zero()
    e0 = proc_cpu(emu.proc.pid)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    s0, self0 = system_busy_cpu(), time.process_time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = RssSampler(proc.pid)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        sampler.stop()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    s1, self1 = system_busy_cpu(), time.process_time()
    calls = emu.requests()
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    emu_cpu = proc_cpu(emu.proc.pid) - e0
    return {
        "rc": proc.returncode,
        "wall_s": wall,
        "cpu_s": cpu,
        # CPU used meanwhile by processes that are not ours (other jobs on the machine): a large
        # value means the figure was disturbed and the run should be repeated on a quiet machine.
        "foreign_cpu_s": round(max(0.0, (s1 - s0) - cpu - emu_cpu - (self1 - self0)), 2),
        "cpu_user_s": r1.ru_utime - r0.ru_utime,
        "emulator_cpu_s": emu_cpu,
        "cpu_by_process_s": sampler.cpu_by_role(),
        "peak_rss_mb": {k: round(v, 1) for k, v in sorted(sampler.peaks.items())},
        "peak_rss_total_mb": round(sampler.peak_total, 1),
        "rss_samples": sampler.samples,
        "calls": calls,
        "stdout": out,
        "stderr": err,
    }


# ---- the emulator and the generated stack -----------------------------------------------
class Material:
    """Key material made once per run: APNs keys, one RSA key for the service accounts."""

    def __init__(self) -> None:
        self.rsa = rsa_pem()
        self.p8: list[str] = []

    def p8_key(self, i: int) -> str:
        while len(self.p8) <= i:
            self.p8.append(apns_p8())
        return self.p8[i]

    def service_account(self, project: str) -> str:
        return json.dumps({
            "type": "service_account", "project_id": project, "private_key_id": "0123456789abcdef",
            "private_key": self.rsa, "client_email": f"push@{project}.iam.gserviceaccount.com",
            "client_id": "1234567890",
        })


#: One group of ten resources; N resources = the first N slots of consecutive groups.
PATTERN = (
    "powerauth.Application", "powerauth.ApplicationRoles", "powerauth.Callback", "powerauth.Callback",
    "powerauth.ApnsConfig", "powerauth.FcmConfig", "powerauth.HmsConfig",
    "pingone.PushCredential", "pingone.PushCredential", "pingid.Application",
)
CRED_TYPES = ("APNS", "FCM_HTTP_V1", "HMS")


def native_apps_needed(n: int) -> int:
    return sum(1 for i in range(n) if i % 10 == 7)


def prepare_emulator(emu: Emulator, n: int, latency_ms: int) -> list[str]:
    """Reset; NATIVE_APP parents for the push credentials (2 seeded + created); latency on."""
    emu.reset()
    p1 = emu.info["pingone"]
    env = p1["environmentId"]
    ids = [a["id"] for a in emu.pingone("GET", f"/environments/{env}/applications").json()["_embedded"]["applications"]
           if a.get("type") == "NATIVE_APP"]
    need = native_apps_needed(n)
    if len(ids) < need:
        tok = httpx.post(f"{p1['authUrl']}/{env}/as/token", data={"grant_type": "client_credentials"},
                         auth=(p1["clientId"], p1["clientSecret"])).json()["access_token"]
        with httpx.Client(headers={"Authorization": f"Bearer {tok}"}) as client:
            for k in range(len(ids), need):
                r = client.post(f"{p1['apiUrl']}/environments/{env}/applications",
                                json={"name": f"Bench Native App {k}", "type": "NATIVE_APP",
                                      "protocol": "OPENID_CONNECT"})
                r.raise_for_status()
                ids.append(r.json()["id"])
    emu.faults(latencyMs=latency_ms, probability=0)
    emu.zero()
    return ids[:need]


def make_spec(n: int, native_ids: list[str], env_id: str, mat: Material, mode: str = "real") -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for i in range(n):
        g, slot = divmod(i, 10)
        kind = PATTERN[slot]
        app_name = f"pa-app-{g}"
        app_id = f"BENCH_APP_{g:04d}"
        r: dict[str, Any] = {"index": i, "kind": kind, "group": g}
        if kind == "powerauth.Application":
            # Roles are left to the group's ApplicationRoles (an Application's `roles` is the exact
            # set, so declaring both would make each undo the other on every run).
            r["name"], r["args"] = app_name, {"application_id": app_id}
        elif kind == "powerauth.ApplicationRoles":
            r["name"], r["args"] = f"pa-roles-{g}", {"roles": ["ROLE_USER", "ROLE_ADMIN", f"ROLE_GROUP_{g}"]}
        elif kind == "powerauth.Callback":
            k = slot - 2
            r["name"] = f"pa-callback-{g}-{k}"
            r["args"] = {
                "callback_name": f"hook-{g}-{k}",
                "type": ("OPERATION_STATUS_CHANGE", "REGISTRATION_STATUS_CHANGE")[k],
                "callback_url": f"https://hooks.example.com/powerauth/{g}/{k}",
                "attributes": (["userId", "status"], ["activationId", "userId"])[k],
                "http_basic": {"username": "hook", "password": f"hook-password-{g}"} if k == 0 else None,
            }
        elif kind == "powerauth.ApnsConfig":
            r["name"], r["args"] = f"pa-apns-{g}", {
                "topic": f"com.example.bench{g}", "key_id": "ABCDE12345", "team_id": "TEAM123456",
                "environment": "production", "private_key": mat.p8_key(2 * g)}
        elif kind == "powerauth.FcmConfig":
            r["name"], r["args"] = f"pa-fcm-{g}", {"service_account_json": mat.service_account(f"bench-{g}")}
        elif kind == "powerauth.HmsConfig":
            r["name"], r["args"] = f"pa-hms-{g}", {
                "project_id": f"hms-project-{g}", "app_id": f"10{g:06d}", "client_id": f"20{g:06d}",
                "client_secret": f"hms-client-secret-{g}"}
        elif kind == "pingone.PushCredential":
            k = slot - 7
            ctype = CRED_TYPES[(2 * g + k) % 3]
            args: dict[str, Any] = {"environment_id": env_id, "application_id": native_ids[g], "type": ctype}
            if ctype == "APNS":
                args.update(key="KEYID12345", team_id="TEAM123456", token=mat.p8_key(2 * g + 1))
            elif ctype == "FCM_HTTP_V1":
                args["google_service_account_credentials"] = mat.service_account(f"bench-p1-{g}")
            else:
                args.update(client_id=f"30{g:06d}", client_secret=f"hms-p1-secret-{g}")
            r["name"], r["args"] = f"p1-cred-{g}-{ctype.lower()}", args
        else:
            rnd = random.Random(1000 + g)
            r["name"], r["args"] = f"pingid-app-{g}", {
                "application_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                "app_name": f"Bench App {g}", "app_enabled": True, "fcm_sender_id": f"{900000 + g}",
                "fcm_server_key": f"AAAAbench{g:06d}key" if g % 2 == 0 else None}
        if kind.startswith("powerauth.") and kind != "powerauth.Application":
            r["parent"], r["parent_app_id"] = app_name, app_id
        resources.append(r)
    target = next(r for r in resources if r["kind"] == "powerauth.Callback")
    change = {"resource": target["name"], "args": {"callback_url": target["args"]["callback_url"] + "?v=2"}}
    return {"mode": mode, "n": n, "resources": resources, "change": change}


def apply_change(spec: dict[str, Any]) -> dict[str, Any]:
    spec = json.loads(json.dumps(spec))
    for r in spec["resources"]:
        if r["name"] == spec["change"]["resource"]:
            r["args"].update(spec["change"]["args"])
            r["rev"] = 1
    return spec


def mix(spec: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in spec["resources"]:
        key = r["kind"] + (f" {r['args']['type']}" if r["kind"] == "pingone.PushCredential" else "")
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


# ---- the pulumi side (real and floor b) --------------------------------------------------
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
        "first_rpc": {"rpc": first["rpc"], "wall_ms": round(first["wall"] * 1000, 1),
                      "cpu_ms": round(first["cpu"] * 1000, 1)} if first else None,
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


def make_project(emu: Emulator, spec: dict[str, Any], workdir: Path) -> tuple[Project, dict[str, str], Path]:
    """A throw-away project (tests/_harness.Project) running bench/program.py on `spec`; untimed."""
    project = Project(workdir, emu, program=(BENCH / "program.py").read_text())
    spec_path = workdir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    # The providers must get their settings from stack config, never from our environment.
    env = {k: v for k, v in project.env.items() if not SETTINGS_ENV.match(k)}
    env["PYTHONPATH"] = os.pathsep.join([str(PYLIB), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    env["MFA_BENCH_SPEC"] = str(spec_path)
    project.env = env
    project.init(stack=STACK)
    return project, env, spec_path


def pulumi_cmd(project: Project, phase: str) -> list[str]:
    return [project.pulumi_bin, *COMMANDS[phase], "--stack", STACK, "--non-interactive"]


def pulumi_run(emu: Emulator, spec: dict[str, Any], workdir: Path, label: str) -> dict[str, Any]:
    """init a throw-away project (untimed), then the five timed phases."""
    project, env, spec_path = make_project(emu, spec, workdir)
    results: dict[str, Any] = {}
    for phase in PHASES:
        if phase == "change":
            spec_path.write_text(json.dumps(apply_change(spec)))
        trace_dir = workdir / "trace" / phase
        trace_dir.mkdir(parents=True)
        env["MFA_BENCH_TRACE_DIR"] = str(trace_dir)
        res = measured(pulumi_cmd(project, phase), cwd=workdir, env=env, emu=emu)
        out = res.pop("stdout") + res.pop("stderr")
        (workdir / f"{phase}.log").write_text(out)
        if res["rc"] != 0:
            raise RuntimeError(f"{label} {phase}: pulumi exited {res['rc']}\n{out[-4000:]}")
        res["summary"] = summary_line(out)
        state = workdir / ".backend" / ".pulumi" / "stacks" / "mfa-push" / f"{STACK}.json"
        res["state_bytes"] = state.stat().st_size if state.exists() else None
        res["provider_trace"] = trace_summary(trace_dir)
        results[phase] = res
        log(f"  {label:7s} {phase:8s} {res['wall_s']:7.2f} s  cpu {res['cpu_s']:6.2f} s  "
            f"calls {res['calls']['total']:4d}  {res['summary'].split(' Duration')[0]}  foreign cpu "
            f"{res['foreign_cpu_s']:.2f}  cpu by process "
            + " ".join(f"{k} {v:.2f}" for k, v in res["cpu_by_process_s"].items() if v >= 0.01))
    return results


def direct_run(emu: Emulator, spec: dict[str, Any], workdir: Path, workers: int, *,
               profile: Path | None = None, micro: bool = False, cpu_profile: Path | None = None) -> dict[str, Any]:
    spec_path = workdir / "spec.json"
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps(spec))
    result = workdir / "result.json"
    cmd = [PY, str(BENCH / "direct.py"), "--spec", str(spec_path), "--emulator", emu.url,
           "--emulator-pid", str(emu.proc.pid), "--workers", str(workers), "--result", str(result)]
    if profile is not None:
        cmd += ["--profile", str(profile)]
    if micro:
        cmd += ["--micro"]
    if cpu_profile is not None:
        cmd += ["--cpu-profile", str(cpu_profile)]
    env = {k: v for k, v in os.environ.items() if not SETTINGS_ENV.match(k)}
    res = measured(cmd, cwd=ROOT, env=env, emu=emu)
    if res["rc"] != 0:
        raise RuntimeError(f"direct.py exited {res['rc']}\n{res['stderr'][-4000:]}")
    data: dict[str, Any] = json.loads(result.read_text())
    data["process"] = {k: res[k] for k in ("wall_s", "cpu_s", "peak_rss_mb", "peak_rss_total_mb")}
    return data


def run_n(emu: Emulator, n: int, latency_ms: int, mat: Material, tmp: Path, primary: bool,
          explain_too: bool = True) -> dict[str, Any]:
    env_id = emu.info["pingone"]["environmentId"]
    out: dict[str, Any] = {"n": n}

    log(f"N={n}: floor (a) direct calls, {WORKERS} at once")
    ids = prepare_emulator(emu, n, latency_ms)
    spec = make_spec(n, ids, env_id, mat)
    out["mix"] = mix(spec)
    fa = direct_run(emu, spec, tmp / f"n{n}-floor-a", WORKERS)
    out["floor_a"] = fa["phases"]
    out["floor_a"]["preview"] = {"wall_s": 0.0, "cpu_s": 0.0, "calls": {"total": 0, "byRoute": {}},
                                 "note": "a preview makes no API call: its floor (a) is zero"}
    out["floor_a_overhead"] = fa["overhead"]
    for phase in ("up", "refresh", "change", "destroy"):
        p = out["floor_a"][phase]
        log(f"  floor-a {phase:8s} {p['wall_s']:7.2f} s  cpu {p['cpu_s']:6.2f} s  calls {p['calls']['total']:4d}")

    log(f"N={n}: floor (b) engine with {n} trivial dynamic resources")
    emu.reset()
    emu.faults(latencyMs=latency_ms, probability=0)
    out["floor_b"] = pulumi_run(emu, dict(spec, mode="noop"), tmp / f"n{n}-floor-b", "floor-b")

    log(f"N={n}: real stack through the Pulumi CLI")
    ids = prepare_emulator(emu, n, latency_ms)
    spec = make_spec(n, ids, env_id, mat)
    out["real"] = pulumi_run(emu, spec, tmp / f"n{n}-real", "real")

    out["ratios"] = {}
    for phase in PHASES:
        a = out["floor_a"][phase]["wall_s"]
        b = out["floor_b"][phase]["wall_s"]
        floor = max(a, b)
        real = out["real"][phase]["wall_s"]
        out["ratios"][phase] = {"real_s": real, "floor_a_s": a, "floor_b_s": b, "floor_s": floor,
                                "ratio": real / floor if floor else None,
                                "bound_by": "a (API)" if a >= b else "b (engine)"}

    # What the real stack costs on top of floor (b), per process: the part that is ours (our
    # program code, our provider, the size of the state our resources write).
    out["attribution"] = {}
    for phase in PHASES:
        real, noop = out["real"][phase], out["floor_b"][phase]
        roles = sorted(set(real["cpu_by_process_s"]) | set(noop["cpu_by_process_s"]))
        out["attribution"][phase] = {
            "cpu_s_real_minus_floor_b": {r: round(real["cpu_by_process_s"].get(r, 0.0)
                                                  - noop["cpu_by_process_s"].get(r, 0.0), 2) for r in roles},
            "state_bytes": {"real": real.get("state_bytes"), "floor_b": noop.get("state_bytes")},
        }

    if primary:
        log(f"N={n}: provider overhead, direct calls one at a time (no profiler)")
        ids = prepare_emulator(emu, n, latency_ms)
        seq = direct_run(emu, make_spec(n, ids, env_id, mat), tmp / f"n{n}-sequential", 1)
        out["overhead_sequential"] = seq["overhead"]
        out["overhead_sequential_by_phase"] = seq["overhead_by_phase"]
        out["sequential_phases"] = {k: {"wall_s": v["wall_s"], "cpu_s": v["cpu_s"], "calls": v["calls"]["total"]}
                                    for k, v in seq["phases"].items()}
        if subprocess.run([PY, "-c", "import pyinstrument"], capture_output=True).returncode == 0:
            log(f"N={n}: pyinstrument profile (wall time) of the direct calls (one at a time)")
            ids = prepare_emulator(emu, n, latency_ms)
            prof = tmp / "profile.html"
            direct_run(emu, make_spec(n, ids, env_id, mat), tmp / f"n{n}-profile", 1, profile=prof)
            out["profile_text"] = prof.with_suffix(".txt").read_text()
        else:
            log("pyinstrument is not installed: skipping its profile "
                "(.venv/bin/python -m pip install pyinstrument==5.1.3)")
        log(f"N={n}: CPU profile (cProfile, thread CPU time) of the direct calls (one at a time)")
        ids = prepare_emulator(emu, n, latency_ms)
        cpu = direct_run(emu, make_spec(n, ids, env_id, mat), tmp / f"n{n}-cpu", 1,
                         cpu_profile=tmp / "direct-cpu.pstats")
        out["direct_cpu_profile"] = cpu["cpu_profile"]
        log(f"N={n}: micro benchmarks (no network)")
        micro = direct_run(emu, make_spec(n, ids, env_id, mat), tmp / f"n{n}-micro", 1, micro=True)
        out["micro"] = micro
        if explain_too:
            log(f"N={n}: explain: up without state checkpoints (real, floor b) and program CPU profiles")
            out["explain"] = explain(emu, n, latency_ms, mat, tmp)
    return out


#: Frames whose cumulative CPU the program profile reports (file fragment, function).
PROGRAM_FRAMES = (
    ("pulumi_mfa_push/_provider.py", "__init__", "DynamicResource.__init__ (ours, incl. the SDK's Resource.__init__)"),
    ("pulumi/dynamic/dynamic.py", "__init__", "pulumi.dynamic.Resource.__init__"),
    ("pulumi/dynamic/dynamic.py", "serialize_provider", "dill serialize_provider"),
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
        "top_self_cpu": [{"function": f"{Path(k[0]).name}:{k[1]}({k[2]})", "self_ms": round(v[2] * 1000, 1)}
                         for k, v in top],
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
        up = measured(pulumi_cmd(project, "up"), cwd=wd, env=env, emu=emu)
        if up["rc"] != 0:
            raise RuntimeError(f"explain {label} up failed\n{(up['stdout'] + up['stderr'])[-3000:]}")
        env["MFA_BENCH_PROFILE_PROGRAM"] = str(wd / "program.pstats")
        pv = measured(pulumi_cmd(project, "preview"), cwd=wd, env=env, emu=emu)
        if pv["rc"] != 0:
            raise RuntimeError(f"explain {label} preview failed\n{(pv['stdout'] + pv['stderr'])[-3000:]}")
        out[label] = {
            "up_without_checkpoints": {k: up[k] for k in ("wall_s", "cpu_s", "cpu_by_process_s", "peak_rss_mb")},
            "program_profile": program_profile(wd / "program.pstats", n),
        }
        log(f"  explain {label:5s} up without checkpoints {up['wall_s']:6.2f} s  cpu {up['cpu_s']:5.2f} s  "
            + " ".join(f"{k} {v:.2f}" for k, v in up["cpu_by_process_s"].items() if v >= 0.01))
        state = wd / ".backend" / ".pulumi" / "stacks" / "mfa-push" / f"{STACK}.json"
        if state.exists():
            out[label]["state_bytes_after_up"] = state.stat().st_size
    # Floor (b) carrying the real resources' arguments as data, plain or as one secret per
    # resource: is the engine's extra cost for our stack the size of the state or its secrets?
    for payload in ("plain", "secret"):
        emu.reset()
        emu.faults(latencyMs=latency_ms, probability=0)
        spec = dict(make_spec(n, ids, env_id, mat, mode="noop"), payload=payload)
        wd = tmp / f"n{n}-explain-noop-{payload}"
        project, env, _ = make_project(emu, spec, wd)
        up = measured(pulumi_cmd(project, "up"), cwd=wd, env=env, emu=emu)
        if up["rc"] != 0:
            raise RuntimeError(f"explain noop+{payload} up failed\n{(up['stdout'] + up['stderr'])[-3000:]}")
        state = wd / ".backend" / ".pulumi" / "stacks" / "mfa-push" / f"{STACK}.json"
        out[f"noop_with_{payload}_payload"] = {
            "up": {k: up[k] for k in ("wall_s", "cpu_s", "cpu_by_process_s", "peak_rss_mb", "foreign_cpu_s")},
            "state_bytes_after_up": state.stat().st_size if state.exists() else None,
        }
        log(f"  explain floor b + {payload} payload: up {up['wall_s']:6.2f} s  cpu {up['cpu_s']:5.2f} s  "
            f"pulumi rss {up['peak_rss_mb'].get('pulumi', 0):.0f} MB  "
            + " ".join(f"{k} {v:.2f}" for k, v in up["cpu_by_process_s"].items() if v >= 0.01))
    return out


def import_times() -> dict[str, Any]:
    """Cold-ish import cost of what the provider process loads (best of 3, -X importtime)."""
    code = "import pulumi_mfa_push.powerauth, pulumi_mfa_push.pingone, pulumi_mfa_push.pingid"
    best: dict[str, Any] | None = None
    for _ in range(3):
        p = subprocess.run([PY, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
        cum: dict[str, int] = {}
        for line in p.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
            if m:
                cum[m.group(4)] = max(cum.get(m.group(4), 0), int(m.group(2)))
        total = sum(v for k, v in cum.items() if k in ("pulumi_mfa_push.powerauth", "pulumi_mfa_push.pingone",
                                                       "pulumi_mfa_push.pingid", "pulumi_mfa_push"))
        row = {
            "total_ms": round(total / 1000, 1),
            "pulumi_sdk_ms": round(cum.get("pulumi", 0) / 1000, 1),
            "pydantic_ms": round(cum.get("pydantic", 0) / 1000, 1),
            "httpx_ms": round(cum.get("httpx", 0) / 1000, 1),
            "cryptography_ms": round(max(v for k, v in cum.items() if k.startswith("cryptography")) / 1000, 1)
            if any(k.startswith("cryptography") for k in cum) else 0.0,
            "jwt_ms": round(cum.get("jwt", 0) / 1000, 1),
            "tenacity_ms": round(cum.get("tenacity", 0) / 1000, 1),
            "ours_top": sorted(((k, round(v / 1000, 1)) for k, v in cum.items() if k.startswith("pulumi_mfa_push")),
                               key=lambda kv: -kv[1])[:8],
        }
        t0 = time.perf_counter()
        subprocess.run([PY, "-c", code], check=True)
        row["process_wall_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        t0 = time.perf_counter()
        subprocess.run([PY, "-c", "pass"], check=True)
        row["bare_python_wall_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        if best is None or row["total_ms"] < best["total_ms"]:
            best = row
    assert best is not None
    return best


# ---- report -----------------------------------------------------------------------------
def fmt_rss(p: dict[str, Any]) -> str:
    rss = p.get("peak_rss_mb") or {}
    parts = [f"{k} {rss[k]:.0f}" for k in ("pulumi", "provider", "program", "language-host", "direct") if k in rss]
    return ", ".join(parts)


def short_route(route: str) -> str:
    for long, short in (("/pingone/v1/environments/{envId}/applications/{appId}/pushCredentials", "P1 creds"),
                        ("/pingone-auth/{envId}/as/token", "P1 token"),
                        ("/pingid/v1/accounts/{accountId}/applications", "PingID apps"),
                        ("/powerauth/v2/admin/applications/{appId}/callbacks", "PA callbacks"),
                        ("/powerauth/admin/applications", "PA apps")):
        route = route.replace(long, short)
    return route


def table(result: dict[str, Any]) -> str:
    lines = []
    for n_key, run in result["runs"].items():
        lines.append(f"\nN = {n_key}  (mix: " + ", ".join(f"{v} {k}" for k, v in run["mix"].items()) + ")")
        head = ("| phase | real wall s | real CPU s | emulator CPU s | peak RSS MB (pulumi, provider, program, host)"
                " | API calls | floor a s (calls) | floor b s | ratio to max(a,b) |")
        lines.append(head)
        lines.append("|---|---:|---:|---:|---|---:|---:|---:|---:|")
        for phase in PHASES:
            r = run["real"][phase]
            a = run["floor_a"][phase]
            b = run["floor_b"][phase]
            ratio = run["ratios"][phase]["ratio"]
            lines.append(
                f"| {phase} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['emulator_cpu_s']:.2f} | {fmt_rss(r)} | "
                f"{r['calls']['total']} | {a['wall_s']:.2f} ({a['calls']['total']}) | {b['wall_s']:.2f} | "
                f"{ratio:.2f}x ({run['ratios'][phase]['bound_by']}) |"
            )
        lines.append("")
        lines.append("| phase | CPU s by process, real (floor b) | API calls by route (real) |")
        lines.append("|---|---|---|")
        for phase in PHASES:
            r, b = run["real"][phase], run["floor_b"][phase]
            cpu = ", ".join(f"{k} {v:.2f} ({b['cpu_by_process_s'].get(k, 0.0):.2f})"
                            for k, v in r["cpu_by_process_s"].items() if k in ("pulumi", "program", "provider"))
            routes = ", ".join(f"{short_route(route)} {count}" for route, count in r["calls"]["byRoute"].items())
            lines.append(f"| {phase} | {cpu} | {routes or '-'} |")
    return "\n".join(lines)


def targets(result: dict[str, Any], n: int) -> dict[str, Any]:
    run = result["runs"][str(n)]
    out: dict[str, Any] = {}
    out["preview_zero_calls"] = {"value": run["real"]["preview"]["calls"]["total"], "target": "== 0"}
    out["preview_zero_calls"]["pass"] = out["preview_zero_calls"]["value"] == 0
    per = run["real"]["refresh"]["calls"]["total"] / n
    out["refresh_calls_per_resource"] = {"value": round(per, 3), "target": "<= 1", "pass": per <= 1}
    ratio = run["ratios"]["up"]["ratio"]
    out["up_ratio_to_floor"] = {"value": round(ratio, 2), "target": "<= 1.3", "pass": ratio <= 1.3,
                                "floor_a_s": round(run["ratios"]["up"]["floor_a_s"], 2),
                                "floor_b_s": round(run["ratios"]["up"]["floor_b_s"], 2)}
    seq = run["overhead_sequential"]
    med = seq["per_operation"]["median_ms"]
    out["provider_overhead_median_ms"] = {"value": round(med, 3), "target": "< 2", "pass": med < 2,
                                          "per_call_median_ms": round(seq["per_call"]["median_ms"], 3)}
    ns = sorted(int(k) for k in result["runs"])
    if len(ns) > 1:
        per_res = {k: result["runs"][str(k)]["real"]["up"]["wall_s"] / k * 1000 for k in ns}
        marginal = {f"{a}->{b}": (result["runs"][str(b)]["real"]["up"]["wall_s"]
                                  - result["runs"][str(a)]["real"]["up"]["wall_s"]) / (b - a) * 1000
                    for a, b in zip(ns, ns[1:], strict=False)}
        grows = [per_res[b] > 1.10 * per_res[a] for a, b in zip(ns, ns[1:], strict=False)]
        out["scaling_up_ms_per_resource"] = {
            "value": {str(k): round(v, 1) for k, v in per_res.items()},
            "marginal_ms_per_resource": {k: round(v, 1) for k, v in marginal.items()},
            "floor_b_ms_per_resource": {str(k): round(result["runs"][str(k)]["floor_b"]["up"]["wall_s"] / k * 1000, 1)
                                        for k in ns},
            "target": "per-resource up time does not grow with N (each larger N <= 1.10x the previous)",
            "pass": not any(grows),
            "ran": ns,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200, help="resources in the main run (default 200)")
    ap.add_argument("--latency-ms", type=int, default=20, help="emulator latency per API call (default 20)")
    ap.add_argument("--scaling", default=None,
                    help="comma-separated N values also run end to end (default: 50 and --n; 800 is long)")
    ap.add_argument("--out", default=str(BENCH / "results" / "latest.json"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary projects (logs, traces)")
    ap.add_argument("--no-explain", action="store_true",
                    help="skip the diagnostic runs (up without checkpoints, program profiles)")
    ns = ap.parse_args(argv)
    scaling = sorted({int(x) for x in (ns.scaling or f"50,{ns.n}").split(",") if x.strip()} | {ns.n})
    if any(k < 10 for k in scaling):
        ap.error("every N must be at least 10 (one group of each resource type)")

    started = time.perf_counter()
    engine = dev.engine_bin()
    os.environ["MFA_PUSH_ENGINE_BIN"] = str(engine)
    version = subprocess.run([str(engine / "pulumi"), "version"], capture_output=True, text=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="mfa-push-bench-"))
    log(f"work dir {tmp}; engine {version} in {engine}; N values {scaling}")
    emu = Emulator.start(tmp / "emulator")
    result: dict[str, Any] = {
        "machine": machine(),
        "params": {"n": ns.n, "latency_ms": ns.latency_ms, "scaling": scaling, "provider_workers": WORKERS,
                   "pulumi_parallel": "engine default (8)", "pulumi_version": version,
                   "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                   "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "runs": {},
    }
    try:
        mat = Material()
        result["import_times"] = import_times()
        for k in scaling:
            result["runs"][str(k)] = run_n(emu, k, ns.latency_ms, mat, tmp, primary=(k == ns.n),
                                           explain_too=not ns.no_explain)
    finally:
        emu.stop()
        if not ns.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    primary = result["runs"][str(ns.n)]
    result["params"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    foreign = [p.get("foreign_cpu_s", 0.0) for run in result["runs"].values()
               for side in ("real", "floor_b", "floor_a") for p in run[side].values()]
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

    print(table(result))
    print("\nTargets:")
    for name, t in result["targets"].items():
        print(f"  {'PASS' if t['pass'] else 'FAIL'}  {name}: {t['value']} (target {t['target']})")
    ov = primary["overhead_sequential"]
    print(f"\nProvider overhead (direct, one at a time, HTTP subtracted): median "
          f"{ov['per_operation']['median_ms']:.2f} ms per operation, {ov['per_call']['median_ms']:.2f} ms per API call;"
          f" p90 {ov['per_operation']['p90_ms']:.2f} ms")
    it = result["import_times"]
    print(f"Import of pulumi_mfa_push (all three APIs): {it['total_ms']} ms (pulumi SDK {it['pulumi_sdk_ms']} ms)")
    if result["params"]["max_foreign_cpu_s_in_a_phase"] > 0.5:
        print(f"\nwarning: other processes used up to {result['params']['max_foreign_cpu_s_in_a_phase']} CPU s "
              "during a measured phase: the machine was not quiet, repeat the run for clean figures")
    print(f"\nwrote {out} in {result['elapsed_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
