"""Reading resource properties and policy config safely.

Resource policies get the *checked inputs*, secrets in plain text, and values not known during
preview as unknown sentinels: reading one through pulumi-policy's props proxy raises
`UnknownValueError`. Every read goes through `get`, which turns that into `UNKNOWN`, so a check
can skip what it cannot judge yet (it runs again at `pulumi up`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Secret
from pulumi_policy.proxy import UnknownValueError

#: The engine's placeholders for values not known until apply (pulumi_policy.proxy).
_UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)


class _Unknown:
    """A value that is not known during preview."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


def _unwrap(value: Any) -> Any:
    # pulumi_policy.Secret (only in remediation contexts) keeps the plain value in `.value`.
    return value.value if isinstance(value, Secret) else value


def _is_sequence(value: Any) -> bool:
    return hasattr(value, "__len__") and hasattr(value, "__getitem__") and not isinstance(value, (str, bytes, Mapping))


def get(props: Any, *path: str | int) -> Any:
    """props[path...], or None when missing, or UNKNOWN when not known yet. Never raises."""
    cur: Any = props
    for key in path:
        cur = _unwrap(cur)
        if cur is None or cur is UNKNOWN:
            return cur
        try:
            if isinstance(key, int):
                cur = cur[key] if isinstance(cur, (list, tuple)) or _is_sequence(cur) else None
            elif isinstance(cur, Mapping):
                cur = cur[key]
            else:
                return None
        except (KeyError, IndexError, TypeError):
            return None
        except UnknownValueError:
            return UNKNOWN
        cur = _unwrap(cur)
        if isinstance(cur, str) and cur in _UNKNOWN_SENTINELS:
            return UNKNOWN
    return cur


def str_list(value: Any) -> list[str] | None | Any:
    """A list of strings, None, or UNKNOWN (the list or any element not known yet)."""
    value = _unwrap(value)
    if value is None or value is UNKNOWN:
        return value
    if isinstance(value, str) and value in _UNKNOWN_SENTINELS:
        return UNKNOWN
    if isinstance(value, (str, bytes, Mapping)) or not _is_sequence(value):
        return None
    out: list[str] = []
    for index in range(len(value)):
        item = get(value, index)
        if item is UNKNOWN:
            return UNKNOWN
        if isinstance(item, str):
            out.append(item)
    return out


def text(value: Any) -> str | None:
    """A known, non-empty string, else None."""
    return value if isinstance(value, str) and value != "" and value not in _UNKNOWN_SENTINELS else None


def is_set(value: Any) -> bool:
    """The input was given: a known non-empty value, or a value not known yet."""
    if value is UNKNOWN:
        return True
    if value is None:
        return False
    return not (isinstance(value, str) and value == "")


def config_strings(config: Mapping[str, Any] | None, key: str, default: list[str]) -> list[str]:
    """A list-of-strings setting of the policy's config, or `default`."""
    items = str_list(get(config or {}, key))
    if not isinstance(items, list):
        return list(default)
    return [i for i in items if i]


def short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def label(args: ResourceValidationArgs | PolicyResource) -> str:
    """How a message names the resource: its Pulumi name, never a property value."""
    return repr(args.name)
