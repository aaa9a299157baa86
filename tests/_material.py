"""Realistic test credentials made on the fly: an APNs .p8 key, a service-account JSON."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def apns_p8() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def service_account(project: str = "demo-project") -> str:
    return json.dumps(
        {
            "type": "service_account",
            "project_id": project,
            "private_key_id": "0123456789abcdef",
            "private_key": rsa_pem(),
            "client_email": f"push@{project}.iam.gserviceaccount.com",
            "client_id": "1234567890",
        }
    )


def forms(secret: str) -> list[str]:
    """A secret and the encodings it could leak in."""
    out = [secret, base64.b64encode(secret.encode()).decode()]
    out.append(json.dumps(secret)[1:-1])
    # PEM body lines (also inside a service-account JSON's private_key) are secret on their own.
    import re

    body = secret.replace("\\n", "\n")
    out.extend(re.findall(r"^[A-Za-z0-9+/=]{40,}$", body, flags=re.M)[:2])
    return [o for o in out if len(o) >= 8]


def _secure_paths(node: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(node, dict):
        if set(node) == {"secure"}:
            return [path]
        return [p for k, v in node.items() for p in _secure_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _secure_paths(v, (*path, i))]
    return []


def secret_values(config: dict[str, object], shown: dict[str, dict[str, object]]) -> list[str]:
    """The plain text of every secure value in a stack file's `config:`, looked up in what
    `pulumi config --show-secrets --json` printed (`shown`); values of 8 characters or more."""
    values = []
    for path in _secure_paths(config):
        entry = shown[str(path[0])]
        node: object = entry.get("objectValue", entry.get("value"))
        for part in path[1:]:
            node = node[part]  # type: ignore[index]
        values.append(node)
    return [v for v in values if isinstance(v, str) and len(v) >= 8]
