"""Recover a stack after an interrupted deploy (`pulumi` was killed in the middle of a create).

A killed `pulumi up` leaves "pending create" operations: objects the API may have created but
the state does not hold. Running `up` again would create them a second time. This looks each one
up through the resource's own provider (an application by id, a callback by name/URL/type, a
PingOne credential by type), with the provider settings of that stack's config (secrets
included) exactly as the provider reads them, and writes what it finds into the state with
`pulumi stack export` / `pulumi stack import`, after `pulumi cancel` removes the lock the killed
process left. A pending create that made nothing, or whose create is idempotent, is cleared.
Then `pulumi refresh` and `pulumi up` converge."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from . import _settings, _tls, registry
from ._errors import ProviderError

#: Pulumi's marker for a secret value in `stack export --show-secrets`.
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # noqa: S105 - a marker, not a secret


class RecoverError(ProviderError):
    """Recovery cannot go on; the text says why and what to do."""


def find_pulumi(env: dict[str, str] | None = None) -> str:
    """The `pulumi` to run: `$MFA_PUSH_ENGINE_BIN/pulumi`, the one on PATH, or the cached engine."""
    env = env if env is not None else dict(os.environ)
    given = env.get("MFA_PUSH_ENGINE_BIN")
    if given and (Path(given) / "pulumi").exists():
        return str(Path(given) / "pulumi")
    found = shutil.which("pulumi", path=env.get("PATH"))
    if found:
        return found
    from . import _engine

    if _engine.is_ready():
        return str(_engine.bin_dir() / "pulumi")
    raise RecoverError("no pulumi CLI found: put one on PATH, or run `mfa-push engine` and add its output to PATH")


class _Pulumi:
    def __init__(self, binary: str, stack: str, cwd: Path, env: dict[str, str]) -> None:
        self.binary, self.stack, self.cwd, self.env = binary, stack, cwd, env

    def run(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(
            [self.binary, *args, "--stack", self.stack, "--non-interactive"],
            cwd=self.cwd,
            env=self.env,
            text=True,
            capture_output=True,
            check=False,
        )
        if check and out.returncode != 0:
            detail = (out.stderr.strip() or out.stdout.strip()).splitlines()
            raise RecoverError(f"pulumi {args[0]} {args[1] if len(args) > 1 else ''} failed: {' '.join(detail)[:500]}")
        return out.stdout


def _unwrap(value: Any) -> Any:
    """`stack export --show-secrets` keeps secrets as {sig, plaintext: <JSON text>}."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) and "plaintext" in value:
            return json.loads(value["plaintext"])
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _load_settings(pulumi: _Pulumi) -> None:
    """The stack's config, secrets decrypted, as the provider's `configure()` would get it."""
    config = json.loads(pulumi.run("config", "--show-secrets", "--json"))
    _settings.update({k: v.get("value") for k, v in config.items() if isinstance(v, dict)})


def recover(stack: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> list[str]:
    """Settle the stack's pending creates; one report line per pending operation."""
    env = dict(env if env is not None else os.environ)
    cwd = Path(cwd or Path.cwd()).resolve()
    if not (cwd / "Pulumi.yaml").exists() and not (cwd / "Pulumi.yml").exists():
        raise RecoverError(f"{cwd} holds no Pulumi.yaml: run in the project's directory or pass --cwd DIR")
    pulumi = _Pulumi(find_pulumi(env), stack, cwd, env)
    # The killed process left its lock behind: `pulumi cancel` removes it (no lock is fine).
    pulumi.run("cancel", "--yes", check=False)
    state = json.loads(pulumi.run("stack", "export"))
    pending = state["deployment"].get("pending_operations") or []
    if not pending:
        return ["no pending operations: nothing to recover"]
    _load_settings(pulumi)
    _tls.use_project_dir(cwd)  # relative settings (caBundle) are the project's, not ours
    plain = json.loads(pulumi.run("stack", "export", "--show-secrets"))
    plain_inputs = {
        op["resource"]["urn"]: _unwrap(op["resource"].get("inputs", {}))
        for op in plain["deployment"].get("pending_operations") or []
    }
    report: list[str] = []
    kept: list[dict[str, Any]] = []
    for op in pending:
        resource = op["resource"]
        urn = resource["urn"]
        if op.get("type") != "creating" or not resource["type"].startswith("pulumi-python:dynamic/"):
            kept.append(op)
            continue
        provider = registry.by_token(resource["type"]).provider()
        found = provider.find_existing(plain_inputs.get(urn, {}))
        if found is None:
            report.append(f"cleared pending create of {urn} (nothing to adopt; `up` creates it)")
            continue
        id_, outs = found
        # Keep encrypted inputs as they are; copy them over the plain outputs so that no secret
        # is written in plain text, then let `refresh` fill in the rest.
        inputs = resource.get("inputs", {})
        secret_outs = set(resource.get("additionalSecretOutputs") or [])
        outputs = {k: v for k, v in outs.items() if k not in inputs and k not in secret_outs}
        # Write-only secrets are represented in outputs by their digest only.
        outputs.update({k: v for k, v in inputs.items() if f"{k}_sha256" not in outs})
        state["deployment"].setdefault("resources", []).append(dict(resource, id=id_, outputs=outputs))
        report.append(f"adopted {urn} as {id_}")
    state["deployment"]["pending_operations"] = kept
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(state, fh)
    try:
        pulumi.run("stack", "import", "--file", fh.name)
    finally:
        os.unlink(fh.name)
    return report
