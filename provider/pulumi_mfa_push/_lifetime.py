"""The provider process ends with the `pulumi` that started it.

The engine starts the dynamic-provider host (`python -m pulumi.dynamic`, through the shell shim
`pulumi-resource-pulumi-python`) and stops it over gRPC when the run ends. When `pulumi` itself
is killed (SIGKILL, an out-of-memory kill, a cancelled CI job), nothing stops the host: it would
wait forever, holding connections and the virtualenv. A daemon thread watches the engine process
and ends this one within about a second of the engine's death."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

_started = False
_lock = threading.Lock()
_SHIM = b"pulumi-resource-pulumi-python"


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] not in ("Z", "X")


def engine_pid() -> int:
    """The engine's pid: our parent, or the shim's parent when the shim runs us as its child."""
    parent = os.getppid()
    try:
        if _SHIM in Path(f"/proc/{parent}/cmdline").read_bytes():
            return _parent_of(parent)
    except OSError:
        pass
    return parent


def _watch(engine: int, interval: float) -> None:
    while True:
        time.sleep(interval)
        if not _alive(engine):
            os._exit(0)


def follow_parent(interval: float = 1.0) -> None:
    """Start the watch once per process (only inside the dynamic-provider host)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    thread = threading.Thread(target=_watch, args=(engine_pid(), interval), daemon=True, name="mfa-push-lifetime")
    thread.start()
