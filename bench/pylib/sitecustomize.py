"""Benchmark-only trace of the dynamic-provider process (and a start/stop record of the program).

Active only when MFA_BENCH_TRACE_DIR is set, which bench/run.py does for the pulumi processes it
starts (bench/pylib is put on their PYTHONPATH). In the provider process (`python -m pulumi.dynamic`)
it wraps the gRPC servicer's methods when they are registered and writes one JSON line per RPC:
wall time, the handler thread's CPU time, time inside Api.send (HTTP) and HTTP calls. It never
changes what the provider does; any failure here disables the trace, never the provider."""

from __future__ import annotations

import os
import sys

_DIR = os.environ.get("MFA_BENCH_TRACE_DIR")


def _install_provider_trace(trace_dir: str) -> None:
    import importlib.abc
    import json
    import threading
    import time

    import mfa_bench_probe as probe

    started = time.perf_counter()
    out = open(os.path.join(trace_dir, f"provider-{os.getpid()}.jsonl"), "a", buffering=1)  # noqa: SIM115
    lock = threading.Lock()

    def emit(record: dict) -> None:
        with lock:
            out.write(json.dumps(record) + "\n")

    emit({"event": "start", "pid": os.getpid(), "t": 0.0})

    def _type_of(request) -> str:  # type: ignore[no-untyped-def]
        parts = str(getattr(request, "urn", "") or "").split("::")
        return parts[2] if len(parts) >= 4 else ""

    def wrap(name: str, fn):  # type: ignore[no-untyped-def]
        def timed(request, context):  # type: ignore[no-untyped-def]
            probe.reset_thread()
            t0 = time.perf_counter()
            c0 = time.thread_time()
            try:
                return fn(request, context)
            finally:
                http, calls = probe.thread_http()
                emit(
                    {
                        "event": "rpc",
                        "rpc": name,
                        "t": t0 - started,
                        "wall": time.perf_counter() - t0,
                        "cpu": time.thread_time() - c0,
                        "http": http,
                        "calls": calls,
                        "type": _type_of(request),
                        "connects": probe.CONNECTS["n"],
                    }
                )

        return timed

    def on_grpc(module) -> None:  # type: ignore[no-untyped-def]
        original = module.add_ResourceProviderServicer_to_server

        def add(servicer, server):  # type: ignore[no-untyped-def]
            emit({"event": "ready", "t": time.perf_counter() - started, "cpu": time.process_time()})
            for name in ("Check", "Diff", "Create", "Read", "Update", "Delete", "Configure"):
                setattr(servicer, name, wrap(name, getattr(servicer, name)))
            return original(servicer, server)

        module.add_ResourceProviderServicer_to_server = add

    hooks = {
        "pulumi.runtime.proto.provider_pb2_grpc": on_grpc,
        "pulumi_mfa_push._transport": probe.patch_transport,
        "httpcore._backends.sync": probe.patch_httpcore,
    }

    class PostImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
            hook = hooks.get(name)
            if hook is None:
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
            else:
                return None
            loader = spec.loader
            original_exec = loader.exec_module

            def exec_module(module):  # type: ignore[no-untyped-def]
                original_exec(module)
                try:
                    hook(module)
                except Exception as exc:  # noqa: BLE001 - never break the provider
                    emit({"event": "hook-failed", "module": name, "error": repr(exc)})

            loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, PostImport())

    import atexit

    def at_exit() -> None:
        emit(
            {
                "event": "exit",
                "t": time.perf_counter() - started,
                "cpu": time.process_time(),
                "connects": probe.CONNECTS["n"],
                "sends": probe.SENDS["n"],
            }
        )

    atexit.register(at_exit)


def _install_program_profile(path: str) -> None:
    """cProfile (thread CPU time) of the program's main thread, where resources are registered."""
    import atexit
    import cProfile
    import time

    profile = cProfile.Profile(time.thread_time)
    profile.enable()

    def dump() -> None:
        profile.disable()
        profile.dump_stats(path)

    atexit.register(dump)


_PROGRAM_PROFILE = os.environ.get("MFA_BENCH_PROFILE_PROGRAM")
if _PROGRAM_PROFILE:
    try:
        if any("pulumi-language-python-exec" in a for a in getattr(sys, "orig_argv", [])):
            _install_program_profile(_PROGRAM_PROFILE)
    except Exception:  # noqa: BLE001, S110 - never break the program
        pass

if _DIR:
    try:
        if "pulumi.dynamic" in getattr(sys, "orig_argv", []):
            _install_provider_trace(_DIR)
    except Exception:  # noqa: BLE001, S110 - the benchmark must never break the provider
        pass
