"""Provider settings from stack config, with environment-variable fallbacks.

Settings live in this process only: the stack config handed to `configure()` inside the
provider plugin is kept and asked through its public `get`; nothing is pickled into the
provider or written to state. Tools that run providers outside Pulumi give values with `update`."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
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
    """A boolean setting (e.g. `<api>:allowInsecureHttp`): `true` or `false` in any case, off when
    unset; any other value is an error naming the setting (not a silent `false`)."""
    raw = get(key, env)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value not in ("true", "false"):
        # The value is not repeated: it may be a secret pasted into the wrong key.
        raise ProviderError(f"setting {key} must be true or false")
    return value == "true"


@dataclass(frozen=True)
class Setting:
    """A setting an API cannot work without, declared once for its `api()` and for `check()`;
    `secret` makes the hint say `--secret`."""

    key: str
    env: str | None
    what: str
    secret: bool = False

    def require(self) -> str:
        value = get(self.key, self.env)
        if value is None:
            raise ProviderError(self.missing() + ".")
        return value

    def missing(self) -> str:
        hint = f" or the environment variable {self.env}" if self.env else ""
        return (
            f"missing setting {self.key}: {self.what}. Set it with "
            f"`pulumi config set {self.key} ...{' --secret' if self.secret else ''}`{hint}"
        )


def in_stack() -> bool:
    """Whether the engine handed over the stack config (`configure()`): the provider runs in a
    Pulumi operation, where a missing setting is the user's to fix before anything is planned."""
    return _stack is not None


def require_all(settings: Iterable[Setting]) -> None:
    """Fail, in one line naming every missing one, unless all of `settings` are given (in stack
    config or their environment variables). Reads nothing but settings: no network."""
    missing = [s.missing() for s in settings if get(s.key, s.env) is None]
    if missing:
        raise ProviderError("; ".join(missing) + ".")


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
