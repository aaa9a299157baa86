"""No process started for a `pulumi` run outlives it, also when `pulumi` itself is SIGKILLed."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from _harness import Project


def _session(sid: int) -> list[str]:
    """`pid command` of every live process in the session `sid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            found.append(f"{stat.parent.name} {cmdline.strip()[:160]}")
    return found


def test_killing_pulumi_leaves_no_plugin_behind(project: Project) -> None:
    emu = project.emulator
    project.use_stack_file("dev")
    emu.faults(probability=0, latencyMs=400)
    proc = project.spawn_up("dev")
    try:
        emu.wait_for_call("POST /powerauth/admin/applications")
        running = _session(proc.pid)
        assert any("pulumi.dynamic" in p for p in running), running  # the provider host is up
        assert any("pulumi-language-python" in p for p in running), running
        os.kill(proc.pid, signal.SIGKILL)  # pulumi alone, as an OOM kill or a cancelled CI job does
        proc.wait()
        # Plugins notice within about a second; 15 s bounds a loaded CI machine.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _session(proc.pid):
            time.sleep(0.2)
        left = _session(proc.pid)
        assert left == [], left
    finally:
        emu.no_faults()
        for line in _session(proc.pid):
            os.kill(int(line.split()[0]), signal.SIGKILL)
