"""Provider settings from stack config, with environment-variable fallbacks.

Settings live in this process only: they are read in `configure()` inside the provider
plugin and are never pickled into the provider or written to state."""

from __future__ import annotations

import os
import threading
from typing import Any

from ._errors import ProviderError

_lock = threading.Lock()
_config: dict[str, Any] = {}


def remember(config: Any) -> None:
    """Keep the stack config handed to `configure()` (a pulumi.dynamic.Config)."""
    raw = getattr(config, "_props", None)
    if isinstance(raw, dict):
        update(raw)


def update(values: dict[str, Any]) -> None:
    """Settings as `namespace:key -> value`, for tools that run providers outside Pulumi."""
    with _lock:
        _config.update(values)


def get(key: str, env: str | None = None, default: str | None = None) -> str | None:
    """`namespace:key` from stack config, else the environment variable, else the default."""
    value = _config.get(key)
    if value is None or value == "":
        value = os.environ.get(env) if env else None
    if value is None or value == "":
        return default
    return str(value)


def require(key: str, env: str | None, what: str) -> str:
    value = get(key, env)
    if value is None:
        hint = f" or the environment variable {env}" if env else ""
        raise ProviderError(
            f"missing setting {key}: {what}. Set it with `pulumi config set {key} ...`"
            f"{' --secret' if 'password' in key.lower() or 'secret' in key.lower() else ''}{hint}."
        )
    return value


def timeout(key: str, env: str | None = None, default: float = 30.0) -> float:
    raw = get(key, env)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ProviderError(f"setting {key} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ProviderError(f"setting {key} must be greater than zero")
    return value
