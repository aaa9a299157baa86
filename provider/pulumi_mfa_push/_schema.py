"""One declaration per resource: a pydantic model whose fields say what is required,
immutable, secret or computed. Check, diff, secret handling and docs are derived from it."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Any, ClassVar, TypeVar, get_args

from pulumi.output import Unknown
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# The engine's placeholder for values not known until apply (pulumi.runtime.rpc.UNKNOWN).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

_FLAGS = ("immutable", "secret", "computed", "unmanaged_when_none")
# Control characters (newlines and tabs aside, which PEM and JSON texts need) and bidi
# overrides have no place in any argument: they hide what a value really is.
_HOSTILE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _no_hostile(value: Any) -> Any:
    if isinstance(value, str) and _HOSTILE.search(value):
        raise ValueError("contains control or bidi-override characters; remove them")
    if isinstance(value, dict):
        for v in value.values():
            _no_hostile(v)
    if isinstance(value, list):
        for v in value:
            _no_hostile(v)
    return value


def prop(
    default: Any = ...,
    *,
    description: str,
    immutable: bool = False,
    secret: bool = False,
    computed: bool = False,
    unmanaged_when_none: bool = False,
    write_only: bool = False,
    **kwargs: Any,
) -> Any:
    """A schema field. `unmanaged_when_none`: leaving it out means "not managed here", so
    going from a value to None is not a change. `write_only`: a secret the API never returns;
    outputs keep only its (secret) SHA-256, so state carries the value once, in the inputs."""
    extra: dict[str, Any] = {
        "immutable": immutable,
        "secret": secret,
        "computed": computed,
        "unmanaged_when_none": unmanaged_when_none,
        "write_only": write_only,
    }
    return Field(default, description=description, json_schema_extra=extra, **kwargs)


class Schema(BaseModel):
    """Base of every resource's input model."""

    # defer_build: a validator is built when a model first validates (in the provider), not when
    # its class is made; the program only reads the fields, and builds none.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    #: Outputs computed by the API, with whether each is secret.
    computed_outputs: ClassVar[dict[str, bool]] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _reject_hostile_text(cls, value: Any) -> Any:
        return _no_hostile(value)

    @classmethod
    @functools.cache
    def _flag(cls, name: str) -> tuple[str, ...]:
        out = []
        for field_name, info in cls.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if extra.get(name):
                out.append(field_name)
        return tuple(out)

    @classmethod
    def immutable_fields(cls) -> tuple[str, ...]:
        return cls._flag("immutable")

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        return cls._flag("secret")

    @classmethod
    def write_only_fields(cls) -> tuple[str, ...]:
        return cls._flag("write_only")

    @classmethod
    def unmanaged_when_none_fields(cls) -> tuple[str, ...]:
        return cls._flag("unmanaged_when_none")

    @classmethod
    def secret_outputs(cls) -> list[str]:
        computed = [name for name, secret in cls.computed_outputs.items() if secret]
        return computed + [digest_key(name) for name in cls.write_only_fields()]

    @classmethod
    def describe(cls) -> str:
        """A Markdown table of the inputs, for docs."""
        rows = ["| input | required | immutable | secret | description |", "|---|---|---|---|---|"]
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            rows.append(
                f"| `{name}` | {'yes' if info.is_required() else 'no'} | "
                f"{'yes' if extra.get('immutable') else ''} | "
                f"{('yes, write-only' if extra.get('write_only') else 'yes') if extra.get('secret') else ''} | "
                f"{info.description or ''} |"
            )
        for name, secret in cls.computed_outputs.items():
            rows.append(f"| `{name}` (output) | | | {'yes' if secret else ''} | computed by the API |")
        return "\n".join(rows)


def digest_key(field: str) -> str:
    return f"{field}_sha256"


def digest(value: Any) -> str:
    """What state keeps of a write-only secret: enough to see that it changed."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def is_unknown(value: Any) -> bool:
    """Whether `value` is, or holds, a value not known until apply: the engine's placeholder, or
    the `pulumi.output.Unknown` the dynamic provider host makes of it (an output of a resource
    not created yet, at preview)."""
    if isinstance(value, Unknown) or value == UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return False


M = TypeVar("M", bound=Schema)


class Failure:
    def __init__(self, prop: str, reason: str) -> None:
        self.prop = prop
        self.reason = reason

    def __repr__(self) -> str:
        return f"Failure({self.prop!r}, {self.reason!r})"


def _model_at(schema: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model of the object at `loc` (an argument such as `http_basic`, or an item of a list
    of objects), or None when there is none there."""
    model: type[BaseModel] | None = schema
    for part in loc:
        if isinstance(part, int) or model is None:
            continue  # a list index: the list's item type was taken with its field
        info = model.model_fields.get(str(part))
        annotation = info.annotation if info is not None else None
        nested = [a for a in (annotation, *get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)]
        model = nested[0] if nested else None
    return model


def _reason(schema: type[Schema], field: str, err: dict[str, Any]) -> str:
    info = schema.model_fields.get(field)
    expected = f" Expected: {info.description}" if info is not None and info.description else ""
    kind = err.get("type", "")
    loc = tuple(err.get("loc") or (field,))
    if len(loc) > 1:  # inside an argument's object: name the inner field and the argument's own fields
        return _inner_reason(schema, loc, kind, err)
    if kind == "missing":
        return f"`{field}` is required.{expected}"
    if kind == "extra_forbidden":
        allowed = ", ".join(schema.model_fields)
        return f"`{field}` is not an argument of this resource; remove it (arguments: {allowed})."
    if kind == "model_type" and (model := _model_at(schema, loc)) is not None:
        return f"`{field}` must be an object with the fields {', '.join(model.model_fields)}.{expected}"
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    # Pydantic never echoes the value in `msg`, so secrets stay out of the message.
    return f"`{field}`: {msg}.{expected}".replace("..", ".")


def _inner_reason(schema: type[Schema], loc: tuple[Any, ...], kind: str, err: dict[str, Any]) -> str:
    where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
    outer = ".".join(str(p) for p in loc[:-1] if not isinstance(p, int))
    model = _model_at(schema, loc[:-1])
    fields = f" (fields of `{outer}`: {', '.join(model.model_fields)})" if model is not None else ""
    if kind == "missing":
        return f"`{where}` is required{fields}."
    if kind == "extra_forbidden":
        return f"`{where}` is not a field of `{outer}`; remove or correct it{fields}."
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"`{where}`: {msg}."


def validate(schema: type[Schema], news: dict[str, Any]) -> tuple[dict[str, Any], list[Failure]]:
    """Validate the user's inputs; return normalized inputs (unknowns kept as they are)
    and one failure per bad property."""
    given = {k: v for k, v in news.items() if not k.startswith("__") and v is not None}
    unknown = {k for k, v in given.items() if is_unknown(v)}
    try:
        model = schema.model_validate(given)
    except ValidationError as exc:
        failures: list[Failure] = []
        by_field: dict[str, Failure] = {}
        for err in exc.errors():
            loc = err.get("loc") or ("",)
            field = str(loc[0]) if loc else ""
            if field in unknown:
                continue
            if field == "":
                failures.append(Failure("", str(err.get("msg", "invalid inputs"))))
                continue
            reason = _reason(schema, field, dict(err))
            if field in by_field:  # one failure per argument; each mistake inside an object is named
                if len(loc) > 1 and reason not in by_field[field].reason:
                    by_field[field].reason += " " + reason
                continue
            by_field[field] = Failure(field, reason)
            failures.append(by_field[field])
        if failures:
            return dict(news), failures
        # Every error was on a value not yet known: validation happens again at apply.
        return dict(news), []
    normalized = model.model_dump(mode="json", exclude_none=True)
    out = dict(news)
    for key, value in normalized.items():
        if key not in unknown:
            out[key] = value
    for key in list(out):
        if not key.startswith("__") and out[key] is None:
            del out[key]
    return out, []


def parse(schema: type[M], props: dict[str, Any]) -> M:
    """Inputs from state or from a checked property bag, as a model (no unknowns at apply)."""
    fields = schema.model_fields
    return schema.model_validate({k: v for k, v in props.items() if k in fields and v is not None})


def _normal(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def changed_fields(schema: type[Schema], olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    """Input fields whose desired value differs from the state's."""
    unmanaged = set(schema.unmanaged_when_none_fields())
    changes = []
    for name in schema.model_fields:
        new = news.get(name)
        old = olds.get(name)
        if new is None and name in unmanaged:
            continue
        if is_unknown(new):
            changes.append(name)
            continue
        if old is None and digest_key(name) in olds:
            if (None if new is None else digest(_normal(new))) != olds[digest_key(name)]:
                changes.append(name)
            continue
        if _normal(new) != _normal(old):
            changes.append(name)
    return changes
