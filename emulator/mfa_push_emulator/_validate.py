"""Hand-rolled JSON body checks.

Bodies are parsed here rather than by FastAPI so each vendor API can report problems in its own
envelope (and so FastAPI's 422 never leaks). Checks collect :class:`Violation` s; the caller maps
them to the API's error format.
"""

from __future__ import annotations

import json
from typing import Any

from mfa_push_emulator._errors import Violation


class BodyError(Exception):
    """The body is not a JSON object (malformed, wrong top-level type, unencodable text)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def parse_json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise BodyError("request body is missing")
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
        # Lone surrogates survive json.loads but cannot be written back as UTF-8.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError, UnicodeError) as exc:
        raise BodyError("malformed JSON request body") from exc
    if not isinstance(data, dict):
        raise BodyError("request body must be a JSON object")
    return data


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class Fields:
    """Typed accessors over a parsed object that record violations instead of raising."""

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix
        self.violations: list[Violation] = []

    def _name(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def _missing(self, name: str, hint: str = "must not be empty") -> None:
        self.violations.append(Violation(self._name(name), hint, missing=True))

    def _invalid(self, name: str, value: Any, hint: str) -> None:
        self.violations.append(Violation(self._name(name), hint, value=value))

    def reject(self, name: str, value: Any, hint: str) -> None:
        """A rule of the caller's own, reported like the built-in ones."""
        self._invalid(name, value, hint)

    def string(
        self, name: str, *, required: bool = True, non_blank: bool = True, max_len: int | None = None
    ) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self._missing(name)
            return None
        if not isinstance(value, str):
            self._invalid(name, value, f"must be a string, not {type_name(value)}")
            return None
        if non_blank and not value.strip():
            if required:
                self._invalid(name, value, "must not be blank")
            return None
        if max_len is not None and len(value) > max_len:
            self._invalid(name, value, f"size must be between 1 and {max_len}")
            return None
        return value

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self._missing(name, "must not be null")
            return None
        if not isinstance(value, bool):
            self._invalid(name, value, f"must be a boolean, not {type_name(value)}")
            return None
        return value

    def string_list(
        self, name: str, *, required: bool = True, non_empty: bool = True, max_len: int | None = None
    ) -> list[str] | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self._missing(name)
            return None
        if not isinstance(value, list):
            self._invalid(name, value, f"must be an array, not {type_name(value)}")
            return None
        if non_empty and not value:
            self._invalid(name, value, "must not be empty")
            return None
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self._invalid(f"{name}[{i}]", item, "must be a non-blank string")
                return None
            if max_len is not None and len(item) > max_len:
                self._invalid(f"{name}[{i}]", item, f"size must be between 1 and {max_len}")
                return None
            out.append(item)
        return out

    def obj(self, name: str) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            self._invalid(name, value, f"must be an object, not {type_name(value)}")
            return None
        return value
