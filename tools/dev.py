"""The project's commands: the demo, gated previews and deploys, the local emulator, the local
PostgreSQL that holds shared (team) state.

Every pulumi invocation goes through `pulumi_env()`: the backend named by PULUMI_BACKEND_URL, or
else a file backend under the git-ignored .state/ directory, the documented dev passphrase, no
update checks, no plugin downloads."""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".state"
DEV_PASSPHRASE = "mfa-push-dev-passphrase"  # noqa: S105 - the documented, public dev passphrase
EMULATOR_PORT = int(os.environ.get("MFA_PUSH_EMULATOR_PORT", "8787"))
EMULATOR_DATA = STATE / "emulator"
#: The local CA the emulator makes at its first `serve --tls`; the example stacks name it as
#: `<api>:caBundle` by this path relative to the project directory (where Pulumi.yaml is).
EMULATOR_CA = EMULATOR_DATA / "tls" / "ca.pem"
STACK_CA_BUNDLE = EMULATOR_CA.relative_to(ROOT).as_posix()
POLICY_PACK = ROOT / "policies"


class SetupError(Exception):
    """A set-up problem with one clear thing to do."""


def engine_bin() -> Path:
    given = os.environ.get("MFA_PUSH_ENGINE_BIN")
    if given:
        return Path(given)
    out = subprocess.run(["bash", str(ROOT / "tools" / "bootstrap.sh")], check=False, stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise SetupError("bootstrap failed (see the message above)")
    path = Path(out.stdout.strip().splitlines()[-1])
    os.environ["MFA_PUSH_ENGINE_BIN"] = str(path)
    return path


def pulumi_bin(env: dict[str, str]) -> str:
    """The engine's `pulumi`, first on the PATH that `pulumi_env()` builds."""
    return str(Path(env["PATH"].split(os.pathsep)[0]) / "pulumi")


def pulumi_env(backend: Path | None = None, home: Path | None = None, backend_url: str | None = None) -> dict[str, str]:
    """`backend_url` (any URL pulumi logs in to) or `backend` (a file backend directory) wins over
    PULUMI_BACKEND_URL, which wins over the local file backend .state/backend."""
    env = dict(os.environ)
    bin_dir = engine_bin()
    env["PATH"] = f"{bin_dir}{os.pathsep}{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    home = home or STATE / "pulumi-home"
    home.mkdir(parents=True, exist_ok=True)
    if backend_url:
        env["PULUMI_BACKEND_URL"] = backend_url
    # A backend chosen by the user (CI's shared state, a team's PostgreSQL) wins over the local one.
    elif backend is not None or not env.get("PULUMI_BACKEND_URL"):
        (backend or STATE / "backend").mkdir(parents=True, exist_ok=True)
        env["PULUMI_BACKEND_URL"] = backend.as_uri() if backend else (STATE / "backend").as_uri()
    env["PULUMI_HOME"] = str(home)
    if not env.get("PULUMI_CONFIG_PASSPHRASE") and not env.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        env["PULUMI_CONFIG_PASSPHRASE"] = DEV_PASSPHRASE
    env["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
    env["PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK"] = "true"
    env["PULUMI_SKIP_CONFIRMATIONS"] = "true"
    # A token goes only to a service backend the user named (Pulumi Cloud: https://api.pulumi.com).
    if not env["PULUMI_BACKEND_URL"].startswith(("https://", "http://")):
        env.pop("PULUMI_ACCESS_TOKEN", None)
    return env


def explain(output: str) -> str | None:
    """One clear line for the set-up mistakes users make most."""
    if "incorrect passphrase" in output or "passphrase must be set" in output:
        return (
            "the stack's secrets were encrypted with another passphrase: set PULUMI_CONFIG_PASSPHRASE to the "
            f"passphrase of this stack (the example stacks use {DEV_PASSPHRASE!r}, see README)."
        )
    return None


def pulumi(
    args: list[str], *, cwd: Path = ROOT, capture: bool = False, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = env or pulumi_env()
    cmd = [pulumi_bin(env), *args]
    if capture:
        return subprocess.run(cmd, cwd=cwd, env=env, text=True, capture_output=True, check=False)
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    proc.wait()
    out = "".join(lines)
    hint = explain(out) if proc.returncode else None
    if hint:
        print(f"\nerror: {hint}", file=sys.stderr)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, "")


# ---- emulator -----------------------------------------------------------------------
def _fetch(request: urllib.request.Request | str, timeout: float) -> Any:
    """JSON from the local emulator: straight to loopback (never through a proxy of the
    environment), trusting the emulator's CA once it has made it."""
    context = ssl.create_default_context(cafile=str(EMULATOR_CA)) if EMULATOR_CA.exists() else None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    with opener.open(request, timeout=timeout) as resp:
        return json.loads(resp.read())


def _get(url: str, timeout: float = 1.0) -> dict[str, Any] | None:
    try:
        return _fetch(url, timeout)  # type: ignore[no-any-return]
    except (urllib.error.URLError, OSError, ValueError):
        return None


def emulator_url(port: int = EMULATOR_PORT) -> str:
    return f"https://127.0.0.1:{port}"


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def ensure_emulator(port: int = EMULATOR_PORT) -> str:
    """Reuse a running emulator on the port, or start one in the background."""
    url = emulator_url(port)
    health = _get(f"{url}/_emulator/health")
    if health and health.get("status") == "ok":
        print(f"emulator: reusing the one running at {url}")
        return url
    if _port_open(port):
        if _get(f"http://127.0.0.1:{port}/_emulator/health"):
            raise SetupError(
                f"the emulator on port {port} serves plain http (it was started before the dev stack moved "
                "to HTTPS): stop it (`make emulator-stop`, or end its process) and run this again."
            )
        raise SetupError(
            f"port {port} on 127.0.0.1 is in use by another program, not the emulator: stop it, "
            "or choose another port with MFA_PUSH_EMULATOR_PORT=N."
        )
    STATE.mkdir(parents=True, exist_ok=True)
    log = open(STATE / "emulator.log", "ab")  # noqa: SIM115 - handed to the background emulator
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "mfa-push-emulator"),
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(EMULATOR_DATA),
            "--tls",
        ],
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    (STATE / "emulator.pid").write_text(str(proc.pid))
    for _ in range(100):
        if _get(f"{url}/_emulator/health"):
            print(f"emulator: started at {url} (pid {proc.pid}, log .state/emulator.log)")
            return url
        if proc.poll() is not None:
            raise SetupError(f"the emulator exited with code {proc.returncode}: see .state/emulator.log")
        time.sleep(0.1)
    raise SetupError("the emulator did not answer within 10 s: see .state/emulator.log")


def stop_emulator() -> None:
    pid_file = STATE / "emulator.pid"
    if not pid_file.exists():
        print("emulator: not started by this tool")
        return
    try:
        os.killpg(int(pid_file.read_text()), signal.SIGTERM)
        print("emulator: stopped")
    except (ProcessLookupError, ValueError):
        print("emulator: was not running")
    pid_file.unlink(missing_ok=True)


# ---- PostgreSQL: shared state, the team set-up, run locally -------------------------------
# Pulumi's DIY backend keeps state in a PostgreSQL table (`postgres://user:pass@host:port/db
# ?table=...`, default table pulumi_state). `postgres start` runs a throwaway cluster of Debian's
# PostgreSQL under .state/postgres on a free loopback port, as an unprivileged user (initdb and
# the server refuse root), with a random password; bootstrap installs the package when asked.
PG_DIR = Path(os.environ.get("MFA_PUSH_PG_DIR") or STATE / "postgres")
PG_ROLE = "mfa_push"
PG_DATABASE = "mfa_push_state"  # created by `Postgres.start`


def postgres_bin() -> Path:
    """The server's bin directory (initdb, pg_ctl, psql): $MFA_PUSH_PG_BIN, or the newest
    /usr/lib/postgresql/<version>/bin; bootstrap installs Debian's package when there is none."""
    for attempt in range(2):
        given = os.environ.get("MFA_PUSH_PG_BIN")
        found = [Path(given)] if given else sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key)
        found = [d for d in found if all(os.access(d / t, os.X_OK) for t in ("initdb", "pg_ctl", "psql"))]
        if found:
            return found[-1]
        if attempt == 0 and not given:
            env = dict(os.environ, MFA_PUSH_POSTGRES="1")
            out = subprocess.run(["bash", str(ROOT / "tools" / "bootstrap.sh")], env=env, stdout=subprocess.DEVNULL)
            if out.returncode != 0:
                raise SetupError("bootstrap could not install PostgreSQL (see the message above)")
    raise SetupError(
        "no PostgreSQL server found (initdb, pg_ctl, psql): install Debian's postgresql package, "
        "or set MFA_PUSH_PG_BIN to the bin directory of a PostgreSQL server."
    )


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in path.parent.name.split(".") if p.isdigit())


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster in `dir`: data/, server.log, cluster.json (port, password)."""

    dir: Path = PG_DIR

    @property
    def os_user(self) -> str | None:
        """Who runs initdb and the server: root is refused, so the package's `postgres` user."""
        if os.geteuid() != 0:
            return None
        import pwd

        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                return name
        raise SetupError("running as root and no `postgres` or `nobody` user to run PostgreSQL as: create one")

    def _as_user(self, cmd: list[str]) -> list[str]:
        user = self.os_user
        if not user:
            return cmd
        runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
        if not runuser:
            raise SetupError("running as root and no `runuser` (util-linux) to run PostgreSQL as another user")
        return [runuser, "-u", user, "--", *cmd]

    @property
    def home(self) -> Path:
        """The real cluster directory (.state/postgres may link elsewhere, see `_create_dir`)."""
        return self.dir.resolve()

    def _settings(self) -> dict[str, Any]:
        path = self.home / "cluster.json"
        settings: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        return settings

    @property
    def port(self) -> int:
        return int(self._settings()["port"])

    def url(self, table: str | None = None) -> str:
        s = self._settings()
        query = "sslmode=disable" + (f"&table={table}" if table else "")
        return f"postgres://{s['role']}:{s['password']}@127.0.0.1:{s['port']}/{s['database']}?{query}"

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Two starts at once (two shells, two test sessions) wait for each other."""
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.dir.parent / f".{self.dir.name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _run(self, cmd: list[str], what: str) -> str:
        out = subprocess.run(
            self._as_user(cmd), cwd=self.home, text=True, capture_output=True, check=False, env=self._pg_env()
        )
        if out.returncode != 0:
            detail = " ".join((out.stderr.strip() or out.stdout.strip()).splitlines()[-3:])
            raise SetupError(f"PostgreSQL {what} failed: {detail} (server log: {self.home / 'server.log'})")
        return out.stdout

    def _pg_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return env

    def _create_dir(self) -> None:
        """The cluster directory, owned by the server's user. When that user cannot reach it (a
        checkout under /root), the cluster lives in /var/tmp and .state/postgres links to it."""
        user = self.os_user
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        if user is None:
            self.dir.mkdir(mode=0o700, exist_ok=True)
            return
        reachable = subprocess.run(self._as_user(["test", "-x", str(self.dir.parent)]), check=False)
        if reachable.returncode == 0:
            self.dir.mkdir(mode=0o700, exist_ok=True)
        else:
            import hashlib

            digest = hashlib.sha256(str(self.dir.absolute()).encode()).hexdigest()[:12]
            real = Path("/var/tmp") / f"mfa-push-postgres-{digest}"  # noqa: S108 - owned by the server's user
            real.mkdir(mode=0o700, exist_ok=True)
            if not self.dir.is_symlink():
                self.dir.symlink_to(real)
            print(f"postgres: {user} cannot reach {self.dir.parent}: the cluster is in {real}")
        shutil.chown(self.home, user, user)

    def created(self) -> bool:
        return (self.home / "data" / "PG_VERSION").exists() and bool(self._settings())

    def create(self) -> None:
        """initdb (the first time): scram-sha-256 password login, TCP on loopback only."""
        bindir = postgres_bin()
        if self.dir.exists() and not self.created():
            shutil.rmtree(self.home, ignore_errors=True)  # a half-made cluster from an interrupted create
            if self.dir.is_symlink():
                self.dir.unlink()
        self._create_dir()
        password = secrets.token_hex(16)
        settings = {"role": PG_ROLE, "database": PG_DATABASE, "password": password, "port": _free_port()}
        pwfile = self.home / "initdb.pw"
        pwfile.write_text(password + "\n")
        user = self.os_user
        if user:
            shutil.chown(pwfile, user, user)
        pwfile.chmod(0o600)
        try:
            self._run(
                [
                    str(bindir / "initdb"),
                    "--pgdata",
                    str(self.home / "data"),
                    "--username",
                    PG_ROLE,
                    "--pwfile",
                    str(pwfile),
                    "--auth",
                    "scram-sha-256",
                    "--encoding",
                    "UTF8",
                    "--locale",
                    "C",
                ],
                "initdb",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with open(self.home / "data" / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# mfa-push: loopback TCP only, no Unix socket (its path could be too long)\n"
                "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
            )
        settings_file = self.home / "cluster.json"
        settings_file.write_text(json.dumps(settings))
        settings_file.chmod(0o600)

    def running(self) -> bool:
        if not self.created():
            return False
        cmd = self._as_user([str(postgres_bin() / "pg_ctl"), "status", "--pgdata", str(self.home / "data")])
        return subprocess.run(cmd, cwd=self.home, capture_output=True, check=False).returncode == 0

    def start(self) -> str:
        """Create (the first time) and start the cluster, create the database; its URL."""
        with self._lock():
            if not self.created():
                self.create()
            if not self.running():
                settings = self._settings()
                if _port_open(settings["port"]):
                    settings["port"] = _free_port()
                    (self.home / "cluster.json").write_text(json.dumps(settings))
                    print(f"postgres: the cluster's port was taken: it now listens on {settings['port']}")
                self._run(
                    [
                        str(postgres_bin() / "pg_ctl"),
                        "start",
                        "--pgdata",
                        str(self.home / "data"),
                        "--log",
                        str(self.home / "server.log"),
                        "--wait",
                        "--timeout",
                        "60",
                        "-o",
                        f"-p {settings['port']}",
                    ],
                    "start",
                )
            if not self.psql("SELECT 1 FROM pg_database WHERE datname = 'mfa_push_state'", database="postgres"):
                self.psql("CREATE DATABASE mfa_push_state", database="postgres")
        return self.url()

    def stop(self, mode: str = "fast") -> bool:
        """Stop the server (`fast`: sessions are ended, `immediate`: like a crash); False if it was not running."""
        with self._lock():
            if not self.running():
                return False
            self._run(
                [str(postgres_bin() / "pg_ctl"), "stop", "--pgdata", str(self.home / "data"), "--mode", mode, "--wait"],
                "stop",
            )
            return True

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run SQL as the cluster's role over TCP; unaligned rows, one a line."""
        s = self._settings()
        env = dict(self._pg_env(), PGPASSWORD=s["password"])
        cmd = [str(postgres_bin() / "psql"), "-h", "127.0.0.1", "-p", str(s["port"]), "-U", s["role"]]
        cmd += ["-d", database or s["database"], "-v", "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", "-c", sql]
        out = subprocess.run(cmd, text=True, capture_output=True, check=False, env=env)
        if out.returncode != 0:
            raise SetupError(f"psql failed: {out.stderr.strip()}")
        return out.stdout


# ---- stacks -------------------------------------------------------------------------
def select_stack(stack: str, env: dict[str, str]) -> None:
    out = pulumi(["stack", "select", stack, "--create", "--non-interactive"], capture=True, env=env)
    if out.returncode != 0:
        text = out.stdout + out.stderr
        hint = explain(text)
        raise SetupError(hint or f"could not select stack {stack}: {text.strip()}")


def policy_args() -> list[str]:
    args: list[str] = []
    if (POLICY_PACK / "PulumiPolicy.yaml").exists():
        args += ["--policy-pack", str(POLICY_PACK)]
    return args


def policy_config_args(stack: str) -> list[str]:
    cfg = POLICY_PACK / "config" / f"{stack}.json"
    return ["--policy-pack-config", str(cfg)] if cfg.exists() and policy_args() else []


def gated(command: str, stack: str) -> int:
    env = pulumi_env()
    select_stack(stack, env)
    args = [command, "--stack", stack, "--non-interactive"]
    if command in ("up", "preview"):
        args += [*policy_args(), *policy_config_args(stack)]
    if command in ("up", "destroy", "refresh"):
        args.append("--yes")
    if command in ("up", "preview"):
        args.append("--diff")
    return pulumi(args, env=env).returncode


def summary(url: str) -> None:
    info = _get(f"{url}/_emulator/info")
    if not info:
        print("emulator: no answer for the summary")
        return

    def call(u: str, headers: dict[str, str]) -> Any:
        return _fetch(urllib.request.Request(u, headers=headers), 5)  # noqa: S310 - loopback only

    pa = info["powerauth"]
    auth = base64.b64encode(f"{pa['username']}:{pa['password']}".encode()).decode()
    apps = call(f"{pa['baseUrl']}/admin/applications", {"Authorization": f"Basic {auth}"})
    print("\nAt the emulator now:")
    for app in apps.get("applications", []):
        detail = call(f"{pa['baseUrl']}/admin/applications/{app['id']}", {"Authorization": f"Basic {auth}"})
        cbs = call(f"{pa['baseUrl']}/v2/admin/applications/{app['id']}/callbacks", {"Authorization": f"Basic {auth}"})
        push = call(f"{pa['baseUrl']}/admin/applications/{app['id']}/push", {"Authorization": f"Basic {auth}"})
        platforms = [p for p in ("apns", "fcm", "hms") if isinstance(push, dict) and push.get(p)]
        print(
            f"  PowerAuth application {app['id']}: roles {detail.get('roles')}, "
            f"{len(cbs.get('callbacks', []))} callback(s), push {platforms or 'none'}"
        )
    _ping_summary(info)


def _ping_summary(info: dict[str, Any]) -> None:
    p1 = info["pingone"]
    form = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
    basic = base64.b64encode(f"{p1['clientId']}:{p1['clientSecret']}".encode()).decode()
    req = urllib.request.Request(  # noqa: S310 - loopback only
        f"{p1['authUrl']}/{p1['environmentId']}/as/token", data=form, headers={"Authorization": f"Basic {basic}"}
    )
    token = _fetch(req, 5)["access_token"]
    for app_id in p1["applicationIds"]:
        url = f"{p1['apiUrl']}/environments/{p1['environmentId']}/applications/{app_id}/pushCredentials"
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
        creds = _fetch(req, 5)["_embedded"]["pushCredentials"]
        print(f"  PingOne application {app_id}: push credentials {[c['type'] for c in creds] or 'none'}")
    pid = info["pingid"]
    from pulumi_mfa_push import _settings
    from pulumi_mfa_push.pingid import _client as pingid
    from pulumi_mfa_push.pingid.application import decode_name, list_applications

    _settings.update(
        {
            "pingid:url": pid["baseUrl"],
            "pingid:accountId": pid["accountId"],
            "pingid:apiKey": pid["apiKey"],
            "pingid:token": pid["token"],
            "pingid:caBundle": str(EMULATOR_CA),
        }
    )
    apps = list_applications(pingid.api())
    for app in apps:
        state = "enabled" if app.get("appEnabled") else "disabled"
        print(f"  PingID SDK application {app['id']}: {decode_name(app['name'])!r} ({state})")


def demo() -> int:
    url = ensure_emulator()
    code = gated("up", "dev")
    summary(url)
    return code


def redact(url: str) -> str:
    """A backend URL without its password, for printing."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":****@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def postgres_command(action: str) -> int:
    cluster = Postgres()
    if action == "start":
        url = cluster.start()
        print(f"postgres: running in {cluster.dir} (log {cluster.home / 'server.log'}); use it with:")
        print(f"export PULUMI_BACKEND_URL='{url}'")
    elif action == "stop":
        print("postgres: stopped" if cluster.stop() else "postgres: was not running")
    elif action == "url":
        if not cluster.created():
            raise SetupError("no local PostgreSQL yet: run `python tools/dev.py postgres start`")
        print(cluster.url())
    else:
        up = cluster.running()
        print(f"postgres: {'running on 127.0.0.1:' + str(cluster.port) if up else 'not running'}")
        return 0 if up else 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev", description=__doc__)
    parser.add_argument(
        "--state",
        choices=["file", "postgres"],
        default=os.environ.get("MFA_PUSH_STATE") or "file",
        help="postgres: keep state in the local PostgreSQL (.state/postgres, started when needed); "
        "file (default): PULUMI_BACKEND_URL when set, else .state/backend",
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("demo", help="start the emulator and deploy the dev stack with the policy pack")
    for name in ("preview", "deploy", "destroy", "refresh"):
        p = sub.add_parser(name, help=f"{name} a stack (with the policy pack)")
        p.add_argument("stack")
    em = sub.add_parser("emulator", help="start, stop or check the local emulator")
    em.add_argument("action", choices=["start", "stop", "status"])
    pp = sub.add_parser("pulumi", help="run pulumi with the project's environment")
    pp.add_argument("args", nargs=argparse.REMAINDER)
    pg = sub.add_parser("postgres", help="start (creating it the first time), stop or show the local PostgreSQL")
    pg.add_argument("action", choices=["start", "stop", "status", "url"])
    ns = parser.parse_args(argv)
    try:
        if ns.cmd == "postgres":
            return postgres_command(ns.action)
        if ns.state == "postgres" and ns.cmd != "emulator":
            # Every pulumi run below reads PULUMI_BACKEND_URL (pulumi_env).
            os.environ["PULUMI_BACKEND_URL"] = Postgres().start()
            print(f"state: PostgreSQL at {redact(os.environ['PULUMI_BACKEND_URL'])}")
        if ns.cmd == "demo":
            return demo()
        if ns.cmd in ("preview", "deploy", "destroy", "refresh"):
            if ns.cmd != "preview" and ns.stack == "dev":
                ensure_emulator()
            return gated({"deploy": "up"}.get(ns.cmd, ns.cmd), ns.stack)
        if ns.cmd == "emulator":
            if ns.action == "start":
                ensure_emulator()
            elif ns.action == "stop":
                stop_emulator()
            else:
                print(json.dumps(_get(f"{emulator_url()}/_emulator/info") or {"status": "not running"}, indent=2))
            return 0
        if ns.cmd == "pulumi":
            return pulumi(ns.args).returncode
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
