"""The project's commands: the demo, gated previews and deploys, the local emulator.

Every pulumi invocation goes through `pulumi_env()`: a file backend under the git-ignored
.state/ directory, the documented dev passphrase, no update checks, no plugin downloads."""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".state"
DEV_PASSPHRASE = "mfa-push-dev-passphrase"  # noqa: S105 - the documented, public dev passphrase
EMULATOR_PORT = int(os.environ.get("MFA_PUSH_EMULATOR_PORT", "8787"))
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


def pulumi_env(backend: Path | None = None, home: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    bin_dir = engine_bin()
    env["PATH"] = f"{bin_dir}{os.pathsep}{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    home = home or STATE / "pulumi-home"
    (backend or STATE / "backend").mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    # A backend chosen by the user (CI's shared state) wins over the local one.
    if backend is not None or not env.get("PULUMI_BACKEND_URL"):
        env["PULUMI_BACKEND_URL"] = backend.as_uri() if backend else (STATE / "backend").as_uri()
    env["PULUMI_HOME"] = str(home)
    if not env.get("PULUMI_CONFIG_PASSPHRASE") and not env.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        env["PULUMI_CONFIG_PASSPHRASE"] = DEV_PASSPHRASE
    env["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
    env["PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK"] = "true"
    env["PULUMI_SKIP_CONFIRMATIONS"] = "true"
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
def _get(url: str, timeout: float = 1.0) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback only
            return json.loads(resp.read())  # type: ignore[no-any-return]
    except (urllib.error.URLError, OSError, ValueError):
        return None


def emulator_url(port: int = EMULATOR_PORT) -> str:
    return f"http://127.0.0.1:{port}"


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
            str(STATE / "emulator"),
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
        req = urllib.request.Request(u, headers=headers)  # noqa: S310 - loopback only
        with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - loopback only
            return json.loads(resp.read())

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
    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - loopback only
        token = json.loads(resp.read())["access_token"]
    for app_id in p1["applicationIds"]:
        url = f"{p1['apiUrl']}/environments/{p1['environmentId']}/applications/{app_id}/pushCredentials"
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
        with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - loopback only
            creds = json.loads(resp.read())["_embedded"]["pushCredentials"]
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
            "pingid:allowInsecureHttp": "true",
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("demo", help="start the emulator and deploy the dev stack with the policy pack")
    for name in ("preview", "deploy", "destroy", "refresh"):
        p = sub.add_parser(name, help=f"{name} a stack (with the policy pack)")
        p.add_argument("stack")
    em = sub.add_parser("emulator", help="start, stop or check the local emulator")
    em.add_argument("action", choices=["start", "stop", "status"])
    pp = sub.add_parser("pulumi", help="run pulumi with the project's environment")
    pp.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    try:
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
