"""Floor (a) and the provider-overhead measurements: our providers' create/read/update/delete
called directly, in one process, without the Pulumi engine. Started by bench/run.py (one
subprocess per pass, each on a freshly reset emulator); prints nothing but errors and writes
one JSON result file.

    python -m bench.direct --spec SPEC --emulator URL --emulator-pid PID --workers 4 --result OUT [--profile HTML]
    python -m bench.direct --micro --spec SPEC --emulator URL --result OUT

Settings come from environment variables (POWERAUTH_URL, PINGONE_*, PINGID_*), as the providers'
_client modules document, so the engine and stack config play no part.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from pulumi_mfa_push import registry

from bench import stackgen
from bench.procstats import proc_cpu, system_busy_cpu
from bench.pylib import mfa_bench_probe as probe


def settings_env(info: dict[str, Any]) -> dict[str, str]:
    pa, p1, pid = info["powerauth"], info["pingone"], info["pingid"]
    return {
        "POWERAUTH_URL": pa["baseUrl"],
        "POWERAUTH_USERNAME": pa["username"],
        "POWERAUTH_PASSWORD": pa["password"],
        "POWERAUTH_ALLOW_INSECURE_HTTP": "true",
        "PINGONE_API_URL": p1["apiUrl"],
        "PINGONE_AUTH_URL": p1["authUrl"],
        "PINGONE_CLIENT_ID": p1["clientId"],
        "PINGONE_CLIENT_SECRET": p1["clientSecret"],
        "PINGONE_ENVIRONMENT_ID": p1["environmentId"],
        "PINGONE_ALLOW_INSECURE_HTTP": "true",
        "PINGID_URL": pid["baseUrl"],
        "PINGID_ACCOUNT_ID": pid["accountId"],
        "PINGID_API_KEY": pid["apiKey"],
        "PINGID_TOKEN": pid["token"],
        "PINGID_ALLOW_INSECURE_HTTP": "true",
    }


def providers() -> dict[str, Any]:
    """A provider of every registry resource, by the spec's kind (`powerauth.Application`)."""
    return {stackgen.label(kind): kind.provider() for kind in registry.kinds()}


def direct_props(r: dict[str, Any]) -> dict[str, Any]:
    """The inputs the engine would hand the provider: the program's args with the parent's
    application_id resolved (it is a known literal here)."""
    props = {k: v for k, v in r["args"].items() if v is not None}
    if r.get("parent"):
        props["application_id"] = r["parent_app_id"]
    if isinstance(props.get("http_basic"), dict):
        props["http_basic"] = dict(props["http_basic"])
    return props


class Recorder:
    """Per-operation records: wall, time inside Api.send, HTTP calls."""

    def __init__(self) -> None:
        self.ops: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def run(self, kind: str, op: str, fn: Callable[[], Any]) -> Any:
        probe.reset_thread()
        t0 = time.perf_counter()
        c0 = time.thread_time()
        result = fn()
        wall = time.perf_counter() - t0
        cpu = time.thread_time() - c0
        http, calls = probe.thread_http()
        with self.lock:
            self.ops.append({"kind": kind, "op": op, "wall": wall, "cpu": cpu, "http": http, "calls": calls})
        return result


class Inline:
    """One at a time in the calling thread, so that a profiler of the main thread sees the work."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller like a pool would
            fut.set_exception(exc)
        return fut

    def shutdown(self) -> None:
        pass


class Emu:
    def __init__(self, url: str, pid: int | None) -> None:
        self.url = url
        self.pid = pid
        self.http = httpx.Client(base_url=url, timeout=30)

    def zero(self) -> None:
        self.http.delete("/_emulator/requests").raise_for_status()

    def requests(self) -> dict[str, Any]:
        return self.http.get("/_emulator/requests").json()  # type: ignore[no-any-return]


def phase(emu: Emu, name: str, body: Callable[[], None], results: dict[str, Any], rec: Recorder) -> None:
    emu.zero()
    first = len(rec.ops)
    e0 = proc_cpu(emu.pid)
    c0 = time.process_time()
    s0 = system_busy_cpu()
    t0 = time.perf_counter()
    body()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    emu_cpu = proc_cpu(emu.pid) - e0
    ops = rec.ops[first:]
    results[name] = {
        "wall_s": wall,
        "cpu_s": cpu,
        "emulator_cpu_s": emu_cpu,
        "foreign_cpu_s": round(max(0.0, system_busy_cpu() - s0 - cpu - emu_cpu), 2),
        "calls": emu.requests(),
        "ops": len(ops),
        "peak_rss_mb": {"direct": _maxrss_mb()},
        "connects_total": probe.CONNECTS["n"],
    }


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_passes(spec: dict[str, Any], emu: Emu, workers: int, rec: Recorder) -> dict[str, Any]:
    provs = providers()
    resources = spec["resources"]
    by_name = {r["name"]: r for r in resources}
    children: dict[str, list[str]] = defaultdict(list)
    for r in resources:
        if r.get("parent"):
            children[r["parent"]].append(r["name"])
    state: dict[str, tuple[str, dict[str, Any]]] = {}
    errors: list[BaseException] = []
    results: dict[str, Any] = {}
    pool: Any = ThreadPoolExecutor(max_workers=workers) if workers > 1 else Inline()

    def create(name: str) -> None:
        r = by_name[name]
        prov = provs[r["kind"]]
        res = rec.run(r["kind"], "create", lambda: prov.create(direct_props(r)))
        state[name] = (res.id, dict(res.outs))

    def up() -> None:
        # The engine's order: a child starts when its parent is created; at most `workers` at once.
        done = threading.Event()
        pending = {"n": len(resources)}
        lock = threading.Lock()

        def submit(name: str) -> None:
            fut = pool.submit(create, name)
            fut.add_done_callback(lambda f, n=name: finished(n, f))

        def finished(name: str, fut: Future[None]) -> None:
            if fut.exception() is not None:
                errors.append(fut.exception())  # type: ignore[arg-type]
            else:
                for child in children.get(name, []):
                    submit(child)
            with lock:
                pending["n"] -= 1 + (len(children.get(name, [])) if fut.exception() is not None else 0)
                if pending["n"] <= 0:
                    done.set()

        for r in resources:
            if not r.get("parent"):
                submit(r["name"])
        done.wait()

    def refresh() -> None:
        def read(name: str) -> None:
            r = by_name[name]
            id_, outs = state[name]
            rec.run(r["kind"], "read", lambda: provs[r["kind"]].read(id_, outs))

        for fut in [pool.submit(read, n) for n in state]:
            fut.result()

    def change() -> None:
        target = spec["change"]["resource"]
        r = by_name[target]
        id_, outs = state[target]
        news = direct_props(r)
        news.update(spec["change"]["args"])
        res = rec.run(r["kind"], "update", lambda: provs[r["kind"]].update(id_, outs, news))
        state[target] = (id_, dict(res.outs or {}))

    def destroy() -> None:
        def delete(name: str) -> None:
            r = by_name[name]
            id_, outs = state[name]
            rec.run(r["kind"], "delete", lambda: provs[r["kind"]].delete(id_, outs))

        # Dependents first, then their parents, as the engine does.
        kids = [n for n in state if by_name[n].get("parent")]
        roots = [n for n in state if not by_name[n].get("parent")]
        for group in (kids, roots):
            for fut in [pool.submit(delete, n) for n in group]:
                fut.result()

    for name, body in (("up", up), ("refresh", refresh), ("change", change), ("destroy", destroy)):
        phase(emu, name, body, results, rec)
        if errors:
            raise errors[0]
    pool.shutdown()
    return results


def summarize_ops(ops: list[dict[str, Any]]) -> dict[str, Any]:
    """Our overhead per operation = wall - time inside Api.send (HTTP round trips)."""

    def stats(values: list[float]) -> dict[str, float]:
        values = sorted(values)
        if not values:
            return {}
        return {
            "n": len(values),
            "median_ms": statistics.median(values) * 1000,
            "p90_ms": values[min(len(values) - 1, int(0.9 * len(values)))] * 1000,
            "max_ms": values[-1] * 1000,
            "mean_ms": statistics.fmean(values) * 1000,
        }

    with_calls = [o for o in ops if o["calls"]]
    out: dict[str, Any] = {
        "per_operation": stats([o["wall"] - o["http"] for o in with_calls]),
        "per_call": stats([(o["wall"] - o["http"]) / o["calls"] for o in with_calls]),
        "http_per_call": stats([o["http"] / o["calls"] for o in with_calls]),
        "by_kind_op": {},
    }
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in ops:
        groups[f"{o['kind']} {o['op']}"].append(o)
    for key, items in sorted(groups.items()):
        out["by_kind_op"][key] = {
            "overhead": stats([o["wall"] - o["http"] for o in items]),
            "cpu": stats([o["cpu"] for o in items]),
            "calls_per_op": statistics.fmean(o["calls"] for o in items),
            "http_ms_per_op": statistics.fmean(o["http"] for o in items) * 1000,
        }
    return out


# ---- where the CPU goes --------------------------------------------------------------------
#: (label, file fragment, function name): cumulative CPU of these frames, from a cProfile run
#: with time.thread_time as its clock (so time spent waiting for the API is not counted).
BUCKETS = (
    ("provider methods, total (create/read/update/delete)", "pulumi_mfa_push/", ("create", "read", "update", "delete")),
    ("  HTTP: httpx Client.send (request build excluded)", "httpx/_client.py", ("send",)),
    ("    of which httpcore (connection pool, h11)", "httpcore/_sync/connection_pool.py", ("handle_request",)),
    ("  httpx build_request", "httpx/_client.py", ("build_request",)),
    ("  input parsing: pydantic model_validate", "pydantic/main.py", ("model_validate",)),
    ("    of which PEM key loading (cryptography, in validators)", "~", ("load_pem_private_key",)),
    ("  outputs(): model_dump", "pydantic/main.py", ("model_dump",)),
    (
        "  retry wrapper: tenacity, excluding the wrapped call",
        "tenacity/__init__.py",
        ("__call__",),
        "pulumi_mfa_push/_transport.py",
        ("once",),
    ),
    ("  PingID signing (Signer.sign)", "pulumi_mfa_push/pingid/_client.py", ("sign",)),
    ("  PingID verification (Signer.verify)", "pulumi_mfa_push/pingid/_client.py", ("verify",)),
    ("  PingOne token (TokenSource.current)", "pulumi_mfa_push/pingone/_client.py", ("current",)),
    ("  client lookup: powerauth/pingone api(), pingid client()", "pulumi_mfa_push/", ("api", "client")),
    ("  JSON: response.json()", "httpx/_models.py", ("json",)),
)


def _matches(frag: str, file: str, func: str, names: tuple[str, ...]) -> bool:
    if frag not in file:
        return False
    if func.startswith("<"):  # a built-in, e.g. "<built-in method ...load_pem_private_key>"
        return any(n in func for n in names)
    return func in names


def cpu_buckets(path: str, ops: int) -> dict[str, Any]:
    import pstats

    st = pstats.Stats(path)
    raw = st.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())  # total self time
    rows: dict[str, Any] = {
        "note": "cProfile with a thread-CPU clock; its per-call cost inflates pure-Python code 2-5x: rank, do not add",
        "profiled_cpu_s": round(total, 3),
        "operations": ops,
        "buckets_ms_per_op": {},
    }

    def cumulative(frag: str, names: tuple[str, ...]) -> float:
        cum = 0.0
        for (file, _line, func), (_cc, _nc, _tt, ct, callers) in raw.items():
            if _matches(frag, file, func, names):
                # count only outermost frames of this bucket (callers outside the bucket)
                if any(_matches(frag, c[0], c[2], names) for c in callers):
                    continue
                cum += ct
        return cum

    for label, frag, names, *minus in BUCKETS:
        cum = cumulative(frag, names) - (cumulative(minus[0], minus[1]) if minus else 0.0)
        rows["buckets_ms_per_op"][label] = round(cum / max(ops, 1) * 1000, 3)
    top = sorted(raw.items(), key=lambda kv: -kv[1][2])[:20]
    rows["top_self_cpu"] = [
        {"function": f"{Path(k[0]).name}:{k[1]}({k[2]})", "self_ms": round(v[2] * 1000, 1), "calls": v[1]}
        for k, v in top
    ]
    return rows


# ---- micro benchmarks: our code without any network -----------------------------------------
def micro(spec: dict[str, Any], reps: int) -> dict[str, Any]:
    from pulumi.dynamic.dynamic import serialize_provider
    from pulumi_mfa_push import _transport
    from pulumi_mfa_push.pingid import _client as pingid_client
    from pulumi_mfa_push.pingone import _client as pingone_client
    from pulumi_mfa_push.powerauth import _client as powerauth_client

    provs = providers()

    def timeit(fn: Callable[[], Any], n: int = reps) -> float:
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
        n = max(5, min(n, int(0.3 / max(first, 1e-6))))  # at most ~0.3 s per item
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        return statistics.median(samples) * 1000

    out: dict[str, Any] = {"check_ms": {}, "inputs_of_ms": {}, "diff_ms": {}, "pickle_bytes": {}, "pickle_ms": {}}
    seen: set[str] = set()
    for r in spec["resources"]:
        kind = r["kind"]
        label = kind + (f" {r['args']['type']}" if kind == "pingone.PushCredential" else "")
        if label in seen:
            continue
        seen.add(label)
        prov = provs[kind]
        props = direct_props(r)
        checked = prov.check({}, props).inputs
        out["check_ms"][label] = timeit(lambda p=prov, a=props: p.check({}, a))
        out["inputs_of_ms"][label] = timeit(lambda p=prov, c=checked: p.inputs_of(c))
        out["diff_ms"][label] = timeit(lambda p=prov, c=checked: p.diff("id", c, c))
        if kind not in out["pickle_bytes"]:
            out["pickle_bytes"][kind] = len(serialize_provider(prov))
            out["pickle_ms"][kind] = timeit(lambda p=prov: serialize_provider(p), 50)

    out["client_lookup_ms"] = {
        "powerauth _client.api()": timeit(powerauth_client.api),
        "pingone _client.api()": timeit(pingone_client.api),
        "pingid _client.api()": timeit(pingid_client.api),
    }
    client = pingid_client.api()
    req = client.transport.build("POST", f"/accounts/{client.account_id}/applications", json={"id": "x", "name": "y"})
    out["pingid_sign_ms"] = timeit(lambda: client.signer.sign(req))
    out["tenacity_retrying_ms"] = timeit(
        lambda: __import__("tenacity").Retrying(
            retry=__import__("tenacity").retry_if_exception_type(()),
            wait=_transport._Wait(0.2, 8.0),
            stop=__import__("tenacity").stop_after_delay(120) | __import__("tenacity").stop_after_attempt(10),
            reraise=True,
        )
    )
    api = powerauth_client.api()
    out["httpx_build_request_ms"] = timeit(lambda: api.build("POST", "/admin/applications", json={"id": "A"}))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--emulator", required=True)
    ap.add_argument("--emulator-pid", type=int)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--result", required=True)
    ap.add_argument("--profile", help="write a pyinstrument HTML profile here (and .txt next to it)")
    ap.add_argument("--cpu-profile", help="write a cProfile (thread CPU time) .pstats here and summarize it")
    ap.add_argument("--micro", action="store_true", help="micro benchmarks of our code, no network")
    ap.add_argument("--reps", type=int, default=200)
    ns = ap.parse_args()

    info = httpx.get(f"{ns.emulator}/_emulator/info").json()
    os.environ.update(settings_env(info))
    spec = json.loads(Path(ns.spec).read_text())

    t0 = time.perf_counter()
    registry.kinds()  # imports every API package
    import_s = time.perf_counter() - t0
    import httpcore._backends.sync
    from pulumi_mfa_push import _transport

    probe.patch_transport(_transport)
    probe.patch_httpcore(httpcore._backends.sync)

    if ns.micro:
        Path(ns.result).write_text(json.dumps({"import_s": import_s, **micro(spec, ns.reps)}, indent=2))
        return 0

    emu = Emu(ns.emulator, ns.emulator_pid)
    rec = Recorder()
    profiler: Any = None
    cpu_profile: Any = None
    if ns.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    if ns.cpu_profile:
        import cProfile

        cpu_profile = cProfile.Profile(time.thread_time)  # CPU time only: waiting on the API is not counted
        cpu_profile.enable()
    warnings = io.StringIO()  # destroy's "cannot be deleted" warnings: expected, not shown
    with contextlib.redirect_stderr(warnings):
        phases = run_passes(spec, emu, ns.workers, rec)
    if profiler is not None:
        profiler.stop()
        Path(ns.profile).write_text(profiler.output_html())
        Path(ns.profile).with_suffix(".txt").write_text(
            profiler.output_text(unicode=True, color=False, show_all=False, short_mode=False)
        )
    cpu_summary = None
    if cpu_profile is not None:
        cpu_profile.disable()
        cpu_profile.dump_stats(ns.cpu_profile)
        cpu_summary = cpu_buckets(ns.cpu_profile, len(rec.ops))
    result = {
        "workers": ns.workers,
        "import_s": import_s,
        "phases": phases,
        "overhead": summarize_ops(rec.ops),
        "overhead_by_phase": {
            op: summarize_ops([o for o in rec.ops if o["op"] == op])["per_operation"]
            for op in ("create", "read", "update", "delete")
        },
        "connects": probe.CONNECTS["n"],
        "sends": probe.SENDS["n"],
        "cpu_profile": cpu_summary,
    }
    Path(ns.result).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
