"""Small request helpers shared by the API routers."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import Request


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """``(user, password)`` from an ``Authorization: Basic`` header, or ``None`` if absent/garbled."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    return user, password


def doc_body(example: dict[str, Any], description: str = "") -> dict[str, Any]:
    """OpenAPI ``requestBody`` for handlers that parse JSON themselves (so ``/docs`` still shows it)."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": {"type": "object"}, "example": example}},
        }
    }
