"""Shared helpers for the emulator tests (imported by conftest and the test modules)."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from mfa_push_emulator._crypto import pingid_canonical, pingid_sign, pingid_verify
from mfa_push_emulator._settings import Settings
from mfa_push_emulator.app import create_app
from mfa_push_emulator.cli import bind_socket

PA_AUTH = ("admin", "powerauth-dev-password")
ENV_ID = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
CLIENT_ID = "7f3e2d1c-0b9a-4c8d-8e7f-6a5b4c3d2e1f"
CLIENT_SECRET = "pingone-dev-client-secret"
IOS_APP = "11111111-2222-4333-8444-555555555555"
ANDROID_APP = "66666666-7777-4888-8999-aaaaaaaaaaaa"
ACCOUNT_ID = "f851a4da-1239-4008-9456-8b93279558f2"
API_KEY = "cGluZ2lkLWRldi1hcGkta2V5LTMyLWJ5dGVzLWxvbmc="
PINGID_TOKEN = "pingid-dev-token"


class EmulatorServer:
    """uvicorn in a background thread; ``stop()`` then a new instance on the same dir = a restart."""

    def __init__(self, data_dir: Path, settings: Settings | None = None) -> None:
        self.sock = bind_socket("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.app = create_app(data_dir, settings)
        config = uvicorn.Config(self.app, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("emulator did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_process(
    cmd: list[str], url: str, log: Path, verify: Callable[[], ssl.SSLContext | bool] = lambda: True
) -> subprocess.Popen[bytes]:
    """Run `mfa-push-emulator serve ...` until `url` answers its health check; `verify` is asked
    on each try (a CA file the server is still making may appear only after the start)."""
    proc = subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/_emulator/health", verify=verify(), timeout=1).status_code == 200:
                return proc
        except (httpx.TransportError, OSError):
            time.sleep(0.05)
    proc.kill()
    raise AssertionError(log.read_text())


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(10)


def get_token(base: str, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    r = httpx.post(
        f"{base}/pingone-auth/{ENV_ID}/as/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


class PingIdClient:
    """Signs requests exactly like Ping's reference clients and verifies response signatures."""

    def __init__(self, base: str, api_key: str = API_KEY, token: str = PINGID_TOKEN, account: str = ACCOUNT_ID):
        self.base = base
        self.api_key, self.token, self.account = api_key, token, account
        self.http = httpx.Client(timeout=10)

    def url(self, suffix: str = "") -> str:
        return f"{self.base}/pingid/v1/accounts/{ACCOUNT_ID}/applications{suffix}"

    def request(self, method: str, url: str, body: Any = None, *, raw: bytes | None = None) -> httpx.Response:
        content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        u = httpx.URL(url)
        canonical = pingid_canonical(method, u.host, u.path, u.query.decode(), content)
        jws = pingid_sign(canonical, self.account, self.token, self.api_key)
        headers = {"Authorization": f"PINGID-HMAC={jws}", "Content-Type": "application/json"}
        return self.http.request(method, url, content=content, headers=headers)

    @staticmethod
    def response_signature_ok(response: httpx.Response) -> bool:
        u = response.request.url
        canonical = pingid_canonical(response.request.method, u.host, u.path, u.query.decode(), response.content)
        header = response.headers.get("x-pingid-signature", "")
        return pingid_verify(header, canonical, API_KEY) is not None
