"""A program driven by stack config: each `Pulumi.<stack>.yaml` declares the objects under
`mfa-push:<kind>` lists, and this turns them into resources. See README "Stacks"."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pulumi

config = pulumi.Config()


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


Lookup = Callable[[dict[str, Any]], dict[str, Any]]


def _kinds() -> dict[str, tuple[Callable[..., pulumi.Resource], Lookup | None]]:
    """`mfa-push:<list>` -> (resource class, what fills in the arguments config may leave out),
    from the library's registry.

    Any import failure stops the program: declaring fewer resources than the stack holds
    would make `pulumi up` plan to delete the rest."""
    try:
        from pulumi_mfa_push import registry

        return {kind.stack_key: (kind.resource, kind.stack_lookup) for kind in registry.kinds()}
    except Exception as exc:
        raise pulumi.RunError(
            f"cannot load pulumi_mfa_push ({type(exc).__name__}: {exc}); nothing was planned. "
            "Fix the installation (pip install pulumi-mfa-push into the project's virtualenv) and run again."
        ) from exc


OPTION_KEYS = {"protect", "retainOnDelete", "deleteBeforeReplace", "ignoreChanges"}
created: dict[str, dict[str, pulumi.Resource]] = {}


def _options(where: str, item: dict[str, Any]) -> pulumi.ResourceOptions:
    """The resource options an object declares: `true`/`false` without quotes (a quoted "false" is a
    string, not false) and a list of property names; anything else is an error naming the option."""
    for key in ("protect", "retainOnDelete", "deleteBeforeReplace"):
        value = item.get(key)
        if value is not None and not isinstance(value, bool):
            given = f"the string {value[:20]!r}" if isinstance(value, str) else f"a {type(value).__name__}"
            raise pulumi.RunError(f"stack config {where}: {key} must be true or false without quotes, not {given}")
    ignore = item.get("ignoreChanges")
    if ignore is not None and (not isinstance(ignore, list) or not all(isinstance(p, str) for p in ignore)):
        raise pulumi.RunError(f"stack config {where}: ignoreChanges must be a list of property names")
    return pulumi.ResourceOptions(
        protect=bool(item.get("protect", False)),
        retain_on_delete=bool(item.get("retainOnDelete", False)),
        delete_before_replace=item.get("deleteBeforeReplace"),
        ignore_changes=ignore,
    )


#: `<key>: <name>` refers to an object declared in this stack: key -> (its list, the argument it
#: sets, the output that argument takes).
REFERENCES = {
    "application": ("powerauthApplications", "application_id", "application_id"),
    "replacement": ("pingonePushCredentials", "replacement_credential_id", "credential_id"),
}


def _resolve(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    """`application: <name>` refers to a PowerAuth application declared in this stack,
    `replacement: <name>` to a PingOne push credential."""
    for key, (listed, arg, output) in REFERENCES.items():
        ref = args.pop(key, None)
        if ref is None:
            continue
        declared = created.get(listed, {})
        if ref not in declared:
            raise pulumi.RunError(
                f"stack config mfa-push:{kind}: {key} {ref!r} is not declared under "
                f"mfa-push:{listed} (declared: {sorted(declared)})"
            )
        args[arg] = getattr(declared[ref], output)
    return args


def build() -> None:
    for kind, (cls, lookup) in _kinds().items():
        items = config.get_object(kind) or []
        if not isinstance(items, list):
            raise pulumi.RunError(f"stack config mfa-push:{kind} must be a list of objects")
        params = set(inspect.signature(cls.__init__).parameters) - {"self", "name", "opts"}
        for index, item in enumerate(items):
            where = f"mfa-push:{kind}[{index}]"
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise pulumi.RunError(f"stack config {where} must be an object with a string `name`")
            args: dict[str, Any] = {}
            #: argument -> the key that sets it: two keys for one argument (`applicationId` and
            #: `application_id`, or `application` and `applicationId`) are an error, not a merge.
            set_by: dict[str, str] = {}
            for key, value in item.items():
                if key == "name" or key in OPTION_KEYS:
                    continue
                if key in REFERENCES and REFERENCES[key][1] in params:
                    arg, args[key] = REFERENCES[key][1], value
                else:
                    arg = _snake(key)
                    if arg not in params:
                        references = {k for k, ref in REFERENCES.items() if ref[1] in params}
                        allowed = sorted({"name", *references, *OPTION_KEYS} | {p for p in params})
                        raise pulumi.RunError(
                            f"stack config {where}: unknown field {key!r} (fields: {', '.join(allowed)})"
                        )
                    args[arg] = value
                if arg in set_by:
                    raise pulumi.RunError(
                        f"stack config {where}: {set_by[arg]!r} and {key!r} both set the argument {arg}; keep one"
                    )
                set_by[arg] = key
            args = _resolve(kind, args)
            if lookup is not None:
                args = lookup(args)
            resource = cls(item["name"], **args, opts=_options(where, item))
            created.setdefault(kind, {})[item["name"]] = resource
    for name, app in created.get("powerauthApplications", {}).items():
        pulumi.export(f"powerauth_{name}_app_key", app.app_key)  # type: ignore[attr-defined]


build()
