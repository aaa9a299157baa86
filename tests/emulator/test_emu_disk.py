"""What the emulator leaves on disk, and fault patterns that cannot stall it (issue 15, item 10)."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import httpx
from emu_helpers import IOS_APP, PA_AUTH, EmulatorServer, free_port, start_process
from mfa_push_emulator._store import Store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _on_disk(data_dir: Path, marker: bytes) -> list[str]:
    return [p.name for p in data_dir.iterdir() if p.is_file() and marker in p.read_bytes()]


def test_data_files_are_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    store = Store(data)
    with store.transaction() as tx:
        tx.put("x", "a", {"v": 1})
    names = sorted(p.name for p in data.iterdir())
    assert names == ["emulator.sqlite3", "emulator.sqlite3-shm", "emulator.sqlite3-wal"]
    assert _mode(data) == 0o700
    assert {name: _mode(data / name) for name in names} == dict.fromkeys(names, 0o600)
    store.close()


def test_a_data_dir_of_an_earlier_version_is_tightened_but_not_a_folder_of_the_users(tmp_path: Path) -> None:
    old = tmp_path / "old"
    Store(old).close()
    old.chmod(0o755)
    for path in old.iterdir():
        path.chmod(0o644)
    Store(old).close()
    assert _mode(old) == 0o700 and all(_mode(p) == 0o600 for p in old.iterdir())

    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    (home / "notes.txt").write_text("mine")
    Store(home).close()
    assert _mode(home) == 0o755  # not the emulator's folder: only its own files are private
    assert _mode(home / "emulator.sqlite3") == 0o600


def test_deleted_secrets_leave_the_files(server: EmulatorServer, pa: httpx.Client, p1: httpx.Client) -> None:
    assert pa.post("/admin/applications", json={"id": "DISK"}).status_code == 200
    callback = {
        "name": "n",
        "type": "OPERATION_STATUS_CHANGE",
        "callbackUrl": "https://h.example.com/",
        "authentication": {"httpBasic": {"enabled": True, "username": "u", "password": "cb-pw-MARKER-7f1"}},
    }
    created = pa.post("/v2/admin/applications/DISK/callbacks", json=callback).json()
    hms = {"projectId": "p", "appId": "a", "clientId": "c", "clientSecret": "hms-MARKER-7f1"}
    assert pa.post("/admin/applications/DISK/push/hms", json=hms).status_code == 200
    cred = p1.post(
        f"/applications/{IOS_APP}/pushCredentials",
        json={"type": "HMS", "clientId": "c", "clientSecret": "p1-MARKER-7f1"},
    ).json()
    assert set(_on_disk(server.data_dir, b"MARKER-7f1")) >= {"emulator.sqlite3-wal"}  # the live secrets

    assert pa.delete(f"/v2/admin/applications/DISK/callbacks/{created['callbackId']}").status_code == 200
    assert pa.delete("/admin/applications/DISK/push/hms").status_code == 200
    assert p1.delete(f"/applications/{IOS_APP}/pushCredentials/{cred['id']}").status_code == 204
    assert _on_disk(server.data_dir, b"MARKER-7f1") == []


def test_replaced_secrets_leave_the_files(server: EmulatorServer, p1: httpx.Client) -> None:
    cred = p1.post(
        f"/applications/{IOS_APP}/pushCredentials",
        json={"type": "HMS", "clientId": "c", "clientSecret": "old-MARKER-2c9"},
    ).json()
    replaced = {"type": "HMS", "clientId": "c", "clientSecret": "new-secret"}
    assert p1.put(f"/applications/{IOS_APP}/pushCredentials/{cred['id']}", json=replaced).status_code == 200
    assert _on_disk(server.data_dir, b"MARKER-2c9") == []


def test_a_backtracking_pattern_cannot_stall_the_server(tmp_path: Path) -> None:
    # A process of its own: a stalled match would hold that process's interpreter, not this one.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "mfa_push_emulator", "serve", "--port", str(port), "--data-dir", str(tmp_path)]
    proc = start_process([*cmd, "--no-access-log"], base, tmp_path / "server.log")
    try:
        http = httpx.Client(base_url=base, timeout=5)
        r = http.put("/_emulator/faults", json={"probability": 1, "statuses": [503], "pathPattern": "(a+)+$"})
        assert r.status_code == 200  # RE2: linear time, whatever the pattern
        slow_path = "/powerauth/admin/applications/" + "a" * 5000 + "!"
        assert http.get(slow_path, auth=PA_AUTH).status_code == 400  # answered (an unknown application)
        assert http.get("/_emulator/health").status_code == 200
        assert http.get("/powerauth/admin/applications/aaa", auth=PA_AUTH).status_code == 503  # it still applies

        for pattern in ("(?=a)", r"(a)\1", "x" * 1001, "a{5000}"):
            refused = http.put("/_emulator/faults", json={"pathPattern": pattern})
            assert refused.status_code == 400 and "pathPattern" in refused.json()["error"], pattern
    finally:
        proc.kill()
        proc.wait(10)
