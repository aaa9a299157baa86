"""Provider settings from stack config, with environment-variable fallbacks.

Settings live in this process only: the stack config handed to `configure()` inside the
provider plugin is kept and asked through its public `get`; nothing is pickled into the
provider or written to state. Tools that run providers outside Pulumi give values with `update`."""

from __future__ import annotations

import os
import threading
from typing import Any, Protocol

from ._errors import ProviderError


class StackConfig(Protocol):
    """What `configure()` is given (a pulumi.dynamic.Config): values by `namespace:key`."""

    def get(self, key: str) -> Any: ...


_lock = threading.Lock()
#: The stack config handed to `configure()`, asked for each setting.
_stack: StackConfig | None = None
#: Values given with `update()`, for tools that run providers outside Pulumi.
_config: dict[str, Any] = {}


def remember(config: StackConfig) -> None:
    """Keep the stack config handed to `configure()`: settings are asked of it when needed."""
    global _stack
    _stack = config


def update(values: dict[str, Any]) -> None:
    """Settings as `namespace:key -> value`, for tools that run providers outside Pulumi."""
    with _lock:
        _config.update(values)


def get(key: str, env: str | None = None, default: str | None = None) -> str | None:
    """`namespace:key` from stack config (or `update()`), else the environment variable, else the default."""
    value = _stack.get(key) if _stack is not None else None
    if value is None or value == "":
        value = _config.get(key)
    if value is None or value == "":
        value = os.environ.get(env) if env else None
    if value is None or value == "":
        return default
    return str(value)


def flag(key: str, env: str | None = None) -> bool:
    """A boolean setting: on only when it is `true`, in any case (e.g. `<api>:allowInsecureHttp`)."""
    return (get(key, env) or "").lower() == "true"


def require(key: str, env: str | None, what: str, secret: bool | None = None) -> str:
    """A setting that must be given; `secret` (by default: a password or secret by its name)
    makes the hint say `--secret`."""
    value = get(key, env)
    if value is None:
        if secret is None:
            secret = "password" in key.lower() or "secret" in key.lower()
        hint = f" or the environment variable {env}" if env else ""
        raise ProviderError(
            f"missing setting {key}: {what}. Set it with "
            f"`pulumi config set {key} ...{' --secret' if secret else ''}`{hint}."
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
