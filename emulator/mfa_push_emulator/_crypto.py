"""Key material shaped like the real services' (sizes and encodings matter to SDKs), and PingID JWS."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def random_b64(size: int = 16) -> str:
    """``appKey``/``appSecret``: 16 random bytes, standard Base64 (24 chars)."""
    return b64(secrets.token_bytes(size))


def new_master_key_pair() -> tuple[str, bytes]:
    """A real P-256 pair: (PKCS#8 PEM private key, 65-byte uncompressed public point)."""
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    point = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return pem, point


def mobile_sdk_config(app_key: bytes, app_secret: bytes, public_point: bytes) -> str:
    """PowerAuth SDK configuration blob (103 bytes): version, key, secret, one P-256 master key."""
    blob = (
        b"\x01"
        + bytes([len(app_key)])
        + app_key
        + bytes([len(app_secret)])
        + app_secret
        + b"\x01"  # key count
        + b"\x01"  # key id: P-256
        + bytes([len(public_point)])
        + public_point
    )
    return b64(blob)


def is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        return False
    return True


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pingid_canonical(method: str, host: str, path: str, query: str, body: bytes) -> str:
    """``METHOD:host:path:[query:]bodyHash:`` where bodyHash is ``""`` for an empty body."""
    body_hash = sha256_hex(body) if body else ""
    query_part = f"{query}:" if query else ""
    return f"{method.upper()}:{host}:{path}:{query_part}{body_hash}:"


def pingid_headers(account_id: str, token: str) -> dict[str, Any]:
    return {"alg": "HS256", "typ": "JWT", "account_id": account_id, "token": token, "jwt_version": "v4"}


def pingid_sign(canonical: str, account_id: str, token: str, api_key_b64: str) -> str:
    key = base64.b64decode(api_key_b64)
    return jwt.encode(
        {"data": sha256_hex(canonical.encode("utf-8"))},
        key,
        algorithm="HS256",
        headers=pingid_headers(account_id, token),
    )


def pingid_verify(jws: str, canonical: str, api_key_b64: str) -> dict[str, Any] | None:
    """The JWS header if the signature and ``data`` claim match ``canonical``; otherwise ``None``."""
    signed = pingid_signed_data(jws, api_key_b64)
    if signed is None or not pingid_data_matches(signed[1], canonical):
        return None
    return signed[0]


def pingid_data_matches(data: str, canonical: str) -> bool:
    return secrets.compare_digest(data, sha256_hex(canonical.encode("utf-8")))


def pingid_signed_data(jws: str, api_key_b64: str) -> tuple[dict[str, Any], str] | None:
    """``(header, data claim)`` when the JWS is signed with ``api_key_b64``, else ``None``: the
    sender knows the key, checked before the request body (which ``data`` hashes) is read."""
    try:
        header = jwt.get_unverified_header(jws)
        if header.get("alg") != "HS256" or header.get("jwt_version") != "v4":
            return None
        payload = jwt.decode(
            jws,
            base64.b64decode(api_key_b64),
            algorithms=["HS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    if not isinstance(payload, dict):
        return None
    return dict(header), str(payload.get("data", ""))
