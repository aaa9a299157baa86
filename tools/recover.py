"""Recover a stack after an interrupted deploy (the pulumi process was killed mid-create).

    .venv/bin/python tools/recover.py STACK

A killed `pulumi up` leaves "pending create" operations: objects the API may have created
but the state does not hold. Running `up` again would try to create them a second time. This
tool looks each one up through the resource's own provider (an application by id, a callback
by name/URL/type, a PingOne credential by type) and writes it into the state with
`pulumi stack export` / `pulumi stack import` (after `pulumi cancel`, which removes the lock
the killed process left); a pending create that made nothing, or whose
create is idempotent, is simply cleared. Then run `pulumi refresh` and `pulumi up`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dev  # noqa: E402


def _provider(resource_type: str) -> Any:
    from pulumi_mfa_push import registry

    return registry.by_token(resource_type).provider()


def _pulumi(args: list[str], env: dict[str, str], cwd: Path) -> str:
    out = subprocess.run([dev.pulumi_bin(env), *args], cwd=cwd, env=env, text=True, capture_output=True, check=False)
    if out.returncode != 0:
        raise dev.SetupError(f"pulumi {args[0]} {args[1] if len(args) > 1 else ''} failed: {out.stderr.strip()}")
    return out.stdout


SECRET_SIG = "4dabf18193072939515e22adb298388d"  # noqa: S105 - Pulumi's secret marker, not a secret


def _unwrap(value: Any) -> Any:
    """`stack export --show-secrets` keeps secrets as {sig, plaintext: <JSON text>}."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) and "plaintext" in value:
            return json.loads(value["plaintext"])
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _load_settings(stack: str, env: dict[str, str], cwd: Path) -> None:
    """The stack's provider settings, so that the providers can look objects up here."""
    from pulumi_mfa_push import _settings

    config = json.loads(_pulumi(["config", "--show-secrets", "--json", "--stack", stack], env, cwd))
    _settings.update({k: v.get("value") for k, v in config.items()})


def recover(stack: str, cwd: Path = dev.ROOT, env: dict[str, str] | None = None) -> list[str]:
    env = env or dev.pulumi_env()
    # The killed process left its lock behind: `pulumi cancel` removes it.
    subprocess.run(
        [dev.pulumi_bin(env), "cancel", "--yes", "--stack", stack], cwd=cwd, env=env, capture_output=True, check=False
    )
    _load_settings(stack, env, cwd)
    state = json.loads(_pulumi(["stack", "export", "--stack", stack], env, cwd))
    plain = json.loads(_pulumi(["stack", "export", "--show-secrets", "--stack", stack], env, cwd))
    plain_inputs = {
        op["resource"]["urn"]: _unwrap(op["resource"].get("inputs", {}))
        for op in plain["deployment"].get("pending_operations") or []
    }
    report: list[str] = []
    kept: list[dict[str, Any]] = []
    for op in state["deployment"].get("pending_operations") or []:
        resource = op["resource"]
        urn = resource["urn"]
        if op.get("type") != "creating" or not resource["type"].startswith("pulumi-python:dynamic/"):
            kept.append(op)
            continue
        found = _provider(resource["type"]).find_existing(plain_inputs.get(urn, {}))
        if found is None:
            report.append(f"cleared pending create of {urn} (nothing to adopt; `up` creates it)")
            continue
        id_, outs = found
        # Keep encrypted inputs as they are; copy them over the plain outputs so that no
        # secret is written in plain text, then let `refresh` fill in the rest.
        outputs = {k: v for k, v in outs.items() if k not in resource.get("inputs", {})}
        secret_outs = set(resource.get("additionalSecretOutputs") or [])
        outputs = {k: v for k, v in outputs.items() if k not in secret_outs}
        # Write-only secrets are represented in outputs by their digest only.
        outputs.update({k: v for k, v in resource.get("inputs", {}).items() if f"{k}_sha256" not in outs})
        entry = dict(resource, id=id_, outputs=outputs)
        state["deployment"].setdefault("resources", []).append(entry)
        report.append(f"adopted {urn} as {id_}")
    state["deployment"]["pending_operations"] = kept
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(state, fh)
    _pulumi(["stack", "import", "--stack", stack, "--file", fh.name], env, cwd)
    os.unlink(fh.name)
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        for line in recover(argv[0]):
            print(line)
    except dev.SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("now run: pulumi refresh, then pulumi up")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
