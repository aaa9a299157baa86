"""The one list of resources. Each API package declares its own in `RESOURCES`; the stack
program, the policy pack, the docs, recovery and the benchmark all derive theirs from here.

An API package that fails to import is an error, never a silently shorter list: a program
that declared fewer resources than its stack holds would plan to delete the rest."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._provider import DynamicResource, SchemaProvider
    from ._schema import Schema

#: The API packages under `pulumi_mfa_push`, in the order resources are declared.
API_PACKAGES = ("powerauth", "pingone", "pingid")


@dataclass(frozen=True)
class ResourceKind:
    """One resource: its class, and the list that declares it in stack config."""

    resource: type[DynamicResource]
    #: Objects of this kind are declared under `mfa-push:<stack_key>` in `Pulumi.<stack>.yaml`.
    stack_key: str
    #: A one-off migration step rather than an object to keep (the legacy FCM retirement): the
    #: example stacks and the benchmark, which declare one object of every other kind, leave it out.
    migration: bool = False
    #: Fills in the arguments stack config may leave out, from the others, for the stack program
    #: (e.g. the legacy credentials a retirement deletes are looked up): arguments -> arguments.
    stack_lookup: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def token(self) -> str:
        """`<api>:<Name>`, e.g. `powerauth:Application`."""
        return self.resource.resource_type_name().removeprefix("dynamic/")

    @property
    def type_token(self) -> str:
        """The engine's type string, as policies and state see it."""
        return f"pulumi-python:{self.resource.resource_type_name()}"

    @property
    def api(self) -> str:
        return self.token.split(":", 1)[0]

    @property
    def name(self) -> str:
        return self.token.split(":", 1)[1]

    @property
    def qualname(self) -> str:
        """The public class path, e.g. `pulumi_mfa_push.powerauth.Application`."""
        return f"pulumi_mfa_push.{self.api}.{self.name}"

    @property
    def provider(self) -> type[SchemaProvider[Any]]:
        return self.resource.provider_type

    @property
    def schema(self) -> type[Schema]:
        return self.provider.schema


@cache
def kinds() -> tuple[ResourceKind, ...]:
    """Every resource of every API package. An import failure propagates."""
    out: list[ResourceKind] = []
    for package in API_PACKAGES:
        module = importlib.import_module(f"pulumi_mfa_push.{package}")
        out.extend(module.RESOURCES)
    return tuple(out)


def by_token(token: str) -> ResourceKind:
    """The kind for `powerauth:Application` or `pulumi-python:dynamic/powerauth:Application`."""
    short = token.rsplit("/", 1)[-1]
    for kind in kinds():
        if kind.token == short:
            return kind
    raise KeyError(f"no resource type {token!r} in pulumi_mfa_push (known: {', '.join(k.token for k in kinds())})")
