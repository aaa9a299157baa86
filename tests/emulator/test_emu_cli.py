"""The CLI as users run it: subprocess, restart persistence, busy port, secret-free logs."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
from emu_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    ENV_ID,
    IOS_APP,
    PA_AUTH,
    EmulatorServer,
    PingIdClient,
    free_port,
    get_token,
    start_process,
    stop_process,
)

VENV_BIN = Path(sys.executable).parent


def _start(args: list[str], port: int, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    return start_process(
        [*args, "serve", "--port", str(port), "--data-dir", str(data_dir)], f"http://127.0.0.1:{port}", log
    )


def test_serve_persists_across_restart_and_logs_no_secrets(tmp_path: Path) -> None:
    port, data, log = free_port(), tmp_path / "data", tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    proc = _start([sys.executable, "-m", "mfa_push_emulator"], port, data, log)
    try:
        pa = httpx.Client(base_url=f"{base}/powerauth", auth=PA_AUTH)
        assert pa.post("/admin/applications", json={"id": "KEEP", "roles": ["R"]}).status_code == 200
        callback = {
            "name": "n",
            "type": "OPERATION_STATUS_CHANGE",
            "callbackUrl": "https://h.example.com/",
            "authentication": {"httpBasic": {"enabled": True, "username": "u", "password": "cb-password-xyz"}},
        }
        assert pa.post("/v2/admin/applications/KEEP/callbacks", json=callback).status_code == 200
        pa.post(
            "/admin/applications/KEEP/push/hms",
            json={"projectId": "p", "appId": "a", "clientId": "c", "clientSecret": "hms-secret-xyz"},
        )
        pa.get("/admin/applications", auth=("admin", "wrong-password-xyz"))
        token = get_token(base)
        p1 = httpx.Client(
            base_url=f"{base}/pingone/v1/environments/{ENV_ID}", headers={"Authorization": f"Bearer {token}"}
        )
        creds = {"type": "HMS", "clientId": "c", "clientSecret": "p1-secret-xyz"}
        assert p1.post(f"/applications/{IOS_APP}/pushCredentials", json=creds).status_code == 201
        pid = PingIdClient(base)
        assert pid.request("GET", pid.url()).status_code == 200
        before = pa.get("/admin/applications/KEEP").json()
    finally:
        stop_process(proc)

    proc = _start([str(VENV_BIN / "mfa-push-emulator")], port, data, log)
    try:
        after = httpx.get(f"{base}/powerauth/admin/applications/KEEP", auth=PA_AUTH).json()
        assert after == before
        listed = httpx.get(
            f"{base}/pingone/v1/environments/{ENV_ID}/applications/{IOS_APP}/pushCredentials",
            headers={"Authorization": f"Bearer {token}"},  # tokens survive restarts too
        )
        assert listed.json()["count"] == 1
    finally:
        stop_process(proc)

    text = log.read_text()
    assert "POST /powerauth/admin/applications" in text  # access log is on...
    for secret in (
        "powerauth-dev-password",
        "wrong-password-xyz",
        "cb-password-xyz",
        "hms-secret-xyz",
        "p1-secret-xyz",
        CLIENT_SECRET,
        CLIENT_ID,
        token,
        "PINGID-HMAC",
        "Authorization",
        "Basic ",
    ):
        assert secret not in text, secret  # ...but never bodies or headers


def test_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        r = subprocess.run(
            [str(VENV_BIN / "mfa-push-emulator"), "serve", "--port", str(port), "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert r.returncode == 2
    assert r.stderr == (f"port {port} on 127.0.0.1 is already in use: stop the other process or pass --port N\n")


def test_restart_in_process_keeps_data(tmp_path: Path) -> None:
    first = EmulatorServer(tmp_path)
    try:
        pid = PingIdClient(first.url)
        app = {"id": "0f0e0d0c-0b0a-4908-8706-050403020100", "name": "Persistent"}
        assert pid.request("POST", pid.url(), app).status_code == 201
    finally:
        first.stop()
    second = EmulatorServer(tmp_path)
    try:
        pid = PingIdClient(second.url)
        assert pid.request("GET", pid.url(f"/{app['id']}")).json()["name"] == "Persistent"
    finally:
        second.stop()
