"""Real parts for tests: the emulator as a subprocess on a free loopback port, and the
real Pulumi CLI on a throw-away project with a file backend."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from tools import dev

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def local_http_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A scripted stub server on a free loopback port, for transport tests: its base URL."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


PASSPHRASE = "mfa-push-test-passphrase"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Emulator:
    """The emulator as a subprocess: over HTTPS with its own local CA (`tls`, the default, as
    users run the provider), or over plain http for the tests of the `allowInsecureHttp` rule."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    info: dict[str, Any] = field(default_factory=dict)
    #: How the harness's own calls verify the emulator: its CA, or True over plain http.
    verify: ssl.SSLContext | bool = True

    @classmethod
    def start(cls, data_dir: Path, tls: bool = True) -> Emulator:
        port = free_port()
        log = data_dir / "emulator.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "mfa-push-emulator"),
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                *(["--tls"] if tls else []),
            ],
            stdout=open(log, "ab"),  # noqa: SIM115 - the subprocess owns it
            stderr=subprocess.STDOUT,
        )
        url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        ca_file = data_dir / "tls" / "ca.pem"  # made by the emulator at its first start
        verify: ssl.SSLContext | bool = True
        for _ in range(200):
            try:
                if tls and verify is True:
                    verify = ssl.create_default_context(cafile=str(ca_file))
                if httpx.get(f"{url}/_emulator/health", timeout=0.5, verify=verify).status_code == 200:
                    break
            except (httpx.HTTPError, OSError):
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"emulator exited: {log.read_text()}")
            time.sleep(0.05)
        else:
            raise RuntimeError("emulator did not start")
        emu = cls(url, proc, log, verify=verify)
        emu.info = emu.call("GET", "/_emulator/info").json()
        return emu

    @property
    def ca_file(self) -> str | None:
        """The CA to trust (`<api>:caBundle`), None over plain http."""
        tls = self.info.get("tls")
        return str(tls["caFile"]) if tls else None

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A call to the emulator (`/_emulator/...` or an API path), verified with its CA."""
        return httpx.request(method, path if "://" in path else self.url + path, verify=self.verify, **kw)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def reset(self) -> None:
        self.call("POST", "/_emulator/reset").raise_for_status()

    def requests(self) -> dict[str, Any]:
        return self.call("GET", "/_emulator/requests").json()  # type: ignore[no-any-return]

    def wait_for_call(self, route: str, timeout: float = 120) -> None:
        """Until the emulator has served `route` (e.g. `POST /powerauth/admin/applications`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.requests()["byRoute"].get(route):
            time.sleep(0.05)
        assert self.requests()["byRoute"].get(route), f"no {route} within {timeout} s"

    def zero(self) -> None:
        self.call("DELETE", "/_emulator/requests").raise_for_status()

    def faults(self, **settings: Any) -> None:
        self.call("PUT", "/_emulator/faults", json=settings).raise_for_status()

    def faults_state(self) -> dict[str, Any]:
        return self.call("GET", "/_emulator/faults").json()  # type: ignore[no-any-return]

    def no_faults(self) -> None:
        self.call("DELETE", "/_emulator/faults").raise_for_status()

    def settings(self, **changes: Any) -> None:
        """`PUT /_emulator/settings` (partial), e.g. `tokenTtlSeconds=2`."""
        self.call("PUT", "/_emulator/settings", json=changes).raise_for_status()

    # -- direct API reads for assertions --------------------------------------------
    def powerauth(self, method: str, path: str, **kw: Any) -> httpx.Response:
        pa = self.info["powerauth"]
        return self.call(method, pa["baseUrl"] + path, auth=(pa["username"], pa["password"]), **kw)

    def pingone(self, method: str, path: str, **kw: Any) -> httpx.Response:
        p1 = self.info["pingone"]
        tok = self.call(
            "POST",
            f"{p1['authUrl']}/{p1['environmentId']}/as/token",
            data={"grant_type": "client_credentials"},
            auth=(p1["clientId"], p1["clientSecret"]),
        ).json()["access_token"]
        return self.call(method, p1["apiUrl"] + path, headers={"Authorization": f"Bearer {tok}"}, **kw)

    def config(self) -> dict[str, Any]:
        """Stack config (plain) pointing the three APIs at this emulator: over HTTPS, its CA as
        each API's `caBundle`; over plain http, `allowInsecureHttp`."""
        pa, p1, pid = self.info["powerauth"], self.info["pingone"], self.info["pingid"]
        trust = {"caBundle": self.ca_file} if self.ca_file else {"allowInsecureHttp": "true"}
        return {
            "powerauth:url": pa["baseUrl"],
            "powerauth:username": pa["username"],
            "pingone:apiUrl": p1["apiUrl"],
            "pingone:authUrl": p1["authUrl"],
            "pingone:clientId": p1["clientId"],
            "pingone:environmentId": p1["environmentId"],
            "pingid:url": pid["baseUrl"],
            "pingid:accountId": pid["accountId"],
            **{f"{api}:{key}": value for api in ("powerauth", "pingone", "pingid") for key, value in trust.items()},
        }

    def secrets(self) -> dict[str, str]:
        pa, p1, pid = self.info["powerauth"], self.info["pingone"], self.info["pingid"]
        return {
            "powerauth:password": pa["password"],
            "pingone:clientSecret": p1["clientSecret"],
            "pingid:apiKey": pid["apiKey"],
            "pingid:token": pid["token"],
        }


SECRET_KEYS = {
    "password",
    "privateKey",
    "serviceAccountJson",
    "clientSecret",
    "token",
    "googleServiceAccountCredentials",
    "fcmServerKey",
}


def _hide(path: str, value: Any, secure: list[tuple[str, str]]) -> Any:
    if isinstance(value, list):
        return [_hide(f"{path}[{i}]", v, secure) for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in SECRET_KEYS and isinstance(v, str):
                secure.append((f"{path}.{k}", v))
                out[k] = "placeholder"
            else:
                out[k] = _hide(f"{path}.{k}", v, secure)
        return out
    return value


class PulumiFailed(AssertionError):
    pass


class Project:
    """A copy of the project's program in a temp dir, with its own backend: a file backend in
    the temp dir, or `backend_url` (a shared PostgreSQL, say)."""

    def __init__(
        self, workdir: Path, emulator: Emulator, program: str | None = None, backend_url: str | None = None
    ) -> None:
        self.dir = workdir
        self.emulator = emulator
        (workdir / "stacks").mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "stacks" / "__main__.py", workdir / "stacks" / "__main__.py")
        if program is not None:
            (workdir / "stacks" / "__main__.py").write_text(program)
        (workdir / "Pulumi.yaml").write_text(
            yaml.safe_dump(
                {
                    "name": "mfa-push",
                    "runtime": {
                        "name": "python",
                        "options": {"toolchain": "pip", "virtualenv": str(ROOT / ".venv")},
                    },
                    "main": "stacks/",
                    "stackConfigDir": "stacks",
                }
            )
        )
        env = dev.pulumi_env(backend=workdir / ".backend", home=workdir / ".pulumi-home", backend_url=backend_url)
        env["PULUMI_CONFIG_PASSPHRASE"] = PASSPHRASE
        env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        env["PULUMI_RUNTIME_VIRTUALENV"] = str(ROOT / ".venv")
        self.env = env
        self.pulumi_bin = dev.pulumi_bin(env)
        self.outputs_seen: list[str] = []

    def run(
        self, *args: str, check: bool = True, stack: str = "test", timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        cmd = [self.pulumi_bin, *args, "--stack", stack, "--non-interactive"]
        proc = subprocess.run(
            cmd, cwd=self.dir, env=self.env, text=True, capture_output=True, timeout=timeout, check=False
        )
        self.outputs_seen.append(proc.stdout + proc.stderr)
        if check and proc.returncode != 0:
            raise PulumiFailed(f"pulumi {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def init(
        self, stack: str = "test", objects: dict[str, Any] | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        subprocess.run(
            [self.pulumi_bin, "stack", "init", stack, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            text=True,
            capture_output=True,
            check=True,
        )
        self.configure(stack, objects or {}, extra)

    def use_stack_file(self, stack: str) -> None:
        """Take the repo's `Pulumi.<stack>.yaml` (secrets under the dev passphrase), aimed at this emulator
        (its port, and its CA where the stack's `caBundle` points)."""
        text = (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text()
        port = self.emulator.url.rsplit(":", 1)[1]
        text = text.replace("127.0.0.1:8787", f"127.0.0.1:{port}")
        if self.emulator.ca_file:
            # The stack names the dev emulator's CA by a path relative to the project directory
            # (.state/emulator/tls/ca.pem): this emulator's CA goes to that path in this project.
            ca = self.dir / dev.STACK_CA_BUNDLE
            ca.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.emulator.ca_file, ca)
        (self.dir / "stacks" / f"Pulumi.{stack}.yaml").write_text(text)
        self.env["PULUMI_CONFIG_PASSPHRASE"] = dev.DEV_PASSPHRASE
        subprocess.run(
            [self.pulumi_bin, "stack", "init", stack, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            text=True,
            capture_output=True,
            check=True,
        )

    def configure(self, stack: str, objects: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
        """Write the stack's config: emulator settings, secrets, and the declared objects."""
        cfg_path = self.dir / "stacks" / f"Pulumi.{stack}.yaml"
        current = yaml.safe_load(cfg_path.read_text()) if cfg_path.exists() else {}
        current = current or {}
        config: dict[str, Any] = {
            k: v for k, v in (current.get("config") or {}).items() if not k.startswith("mfa-push:")
        }
        config.update(self.emulator.config())
        config.update(extra or {})
        secure: list[tuple[str, str]] = []
        for kind, items in objects.items():
            config[f"mfa-push:{kind}"] = _hide(f"mfa-push:{kind}", items, secure)
        current["config"] = config
        cfg_path.write_text(yaml.safe_dump(current))
        for key, value in self.emulator.secrets().items():
            if key not in config:
                self.run("config", "set", "--secret", key, value, stack=stack)
        # Secrets inside structured config are Pulumi secure values, as users would keep them.
        for path, value in secure:
            subprocess.run(
                [self.pulumi_bin, "config", "set", "--path", "--secret", path, "--stack", stack, "--non-interactive"],
                input=value,
                cwd=self.dir,
                env=self.env,
                text=True,
                capture_output=True,
                check=True,
            )

    def spawn_up(self, stack: str = "test") -> subprocess.Popen[bytes]:
        """`pulumi up` in the background, in a session of its own (for tests that kill it)."""
        return subprocess.Popen(
            [self.pulumi_bin, "up", "--yes", "--skip-preview", "--stack", stack, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def kill_up_while_creating(self, stack: str = "test") -> None:
        """SIGKILL a slowed `pulumi up` (and its plugins) just after its first application create
        was sent: the state then holds pending creates, some of which the server made."""
        self.emulator.faults(probability=0, latencyMs=400)
        proc = self.spawn_up(stack)
        self.emulator.wait_for_call("POST /powerauth/admin/applications")
        time.sleep(0.6)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.emulator.no_faults()

    def up(self, stack: str = "test", *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("up", "--yes", "--skip-preview", *extra, stack=stack, check=check)

    def preview(self, stack: str = "test", *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("preview", "--diff", *extra, stack=stack, check=check)

    def refresh(self, stack: str = "test", check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("refresh", "--yes", "--skip-preview", stack=stack, check=check)

    def destroy(self, stack: str = "test", check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("destroy", "--yes", "--skip-preview", stack=stack, check=check)

    def export(self, stack: str = "test") -> dict[str, Any]:
        return json.loads(self.run("stack", "export", stack=stack).stdout)  # type: ignore[no-any-return]

    def resources(self, stack: str = "test", type_suffix: str = "") -> list[dict[str, Any]]:
        res = self.export(stack)["deployment"].get("resources") or []
        return [r for r in res if r["type"].startswith("pulumi-python:dynamic/") and r["type"].endswith(type_suffix)]
