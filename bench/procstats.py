"""What a measured process used: wall time, CPU per process of the tree (by role), peak RSS,
CPU used meanwhile by others; the machine; the import cost of the library."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import resource
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulumi_mfa_push import registry

from bench import PY

if TYPE_CHECKING:
    from tests._harness import Emulator


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
def proc_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) the process has used so far; 0 when it is gone or unknown."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def server_cpu(pid: int | None) -> float:
    """CPU seconds of a forking server so far: the parent, its live children (a PostgreSQL
    cluster's background processes and sessions) and the children it has reaped."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        reaped = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0
    return proc_cpu(pid) + reaped + sum(proc_cpu(child) for child in _children(pid))


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
    elif "bench.direct" in text:
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


def measured(
    cmd: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    emu: Emulator,
    timeout: float = 3600,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """Run one command; wall, children's CPU (rusage delta), emulator CPU, peak RSS, API calls;
    with `server_pid` (the PostgreSQL that holds the state), that server's CPU too."""
    emu.zero()
    e0 = proc_cpu(emu.proc.pid)
    pg0 = server_cpu(server_pid)
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
    pg_cpu = server_cpu(server_pid) - pg0
    return {
        "rc": proc.returncode,
        "wall_s": wall,
        "cpu_s": cpu,
        # CPU used meanwhile by processes that are not ours (other jobs on the machine): a large
        # value means the figure was disturbed and the run should be repeated on a quiet machine.
        "foreign_cpu_s": round(max(0.0, (s1 - s0) - cpu - emu_cpu - pg_cpu - (self1 - self0)), 2),
        "cpu_user_s": r1.ru_utime - r0.ru_utime,
        "emulator_cpu_s": emu_cpu,
        **({"postgres_cpu_s": round(pg_cpu, 2)} if server_pid else {}),
        "cpu_by_process_s": sampler.cpu_by_role(),
        "peak_rss_mb": {k: round(v, 1) for k, v in sorted(sampler.peaks.items())},
        "peak_rss_total_mb": round(sampler.peak_total, 1),
        "rss_samples": sampler.samples,
        "calls": calls,
        "stdout": out,
        "stderr": err,
    }


def cpu_by_process(result: dict[str, Any]) -> str:
    """A measured result's CPU seconds by process role, for the log."""
    return " ".join(f"{k} {v:.2f}" for k, v in result["cpu_by_process_s"].items() if v >= 0.01)


def import_times() -> dict[str, Any]:
    """Cold-ish import cost of what the provider process loads (best of 3, -X importtime)."""
    packages = [f"pulumi_mfa_push.{api}" for api in registry.API_PACKAGES]
    code = "import " + ", ".join(packages)
    best: dict[str, Any] | None = None
    for _ in range(3):
        p = subprocess.run([PY, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
        cum: dict[str, int] = {}
        for line in p.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
            if m:
                cum[m.group(4)] = max(cum.get(m.group(4), 0), int(m.group(2)))
        total = sum(v for k, v in cum.items() if k in (*packages, "pulumi_mfa_push"))
        row = {
            "total_ms": round(total / 1000, 1),
            "pulumi_sdk_ms": round(cum.get("pulumi", 0) / 1000, 1),
            "pydantic_ms": round(cum.get("pydantic", 0) / 1000, 1),
            "httpx_ms": round(cum.get("httpx", 0) / 1000, 1),
            "cryptography_ms": round(max(v for k, v in cum.items() if k.startswith("cryptography")) / 1000, 1)
            if any(k.startswith("cryptography") for k in cum)
            else 0.0,
            "jwt_ms": round(cum.get("jwt", 0) / 1000, 1),
            "tenacity_ms": round(cum.get("tenacity", 0) / 1000, 1),
            "ours_top": sorted(
                ((k, round(v / 1000, 1)) for k, v in cum.items() if k.startswith("pulumi_mfa_push")),
                key=lambda kv: -kv[1],
            )[:8],
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
