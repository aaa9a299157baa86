"""Runtime knobs that tests flip through ``/_emulator/settings``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

DEFAULT_TOKEN_TTL_SECONDS = 3600


@dataclass(frozen=True)
class Settings:
    """Behaviour switches; immutable so a request always sees one consistent snapshot.

    ``service_base_url`` empty means "derive from the request": ``http://HOST:PORT/enrollment-server/``.
    """

    one_credential_per_type: bool = True
    token_ttl_seconds: int = DEFAULT_TOKEN_TTL_SECONDS
    service_base_url: str = ""

    def to_wire(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "oneCredentialPerType": data["one_credential_per_type"],
            "tokenTtlSeconds": data["token_ttl_seconds"],
            "serviceBaseUrl": data["service_base_url"],
        }

    def merged(self, body: dict[str, Any]) -> Settings:
        """Apply a partial wire-format update, raising ``ValueError`` on a bad value."""
        changes: dict[str, Any] = {}
        unknown = set(body) - {"oneCredentialPerType", "tokenTtlSeconds", "serviceBaseUrl"}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        if "oneCredentialPerType" in body:
            if not isinstance(body["oneCredentialPerType"], bool):
                raise ValueError("oneCredentialPerType must be a boolean")
            changes["one_credential_per_type"] = body["oneCredentialPerType"]
        if "tokenTtlSeconds" in body:
            ttl = body["tokenTtlSeconds"]
            if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1:
                raise ValueError("tokenTtlSeconds must be a positive integer")
            changes["token_ttl_seconds"] = ttl
        if "serviceBaseUrl" in body:
            if not isinstance(body["serviceBaseUrl"], str):
                raise ValueError("serviceBaseUrl must be a string")
            changes["service_base_url"] = body["serviceBaseUrl"]
        return replace(self, **changes)
