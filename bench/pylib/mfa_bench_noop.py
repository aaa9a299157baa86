"""Floor (b): a dynamic resource whose provider makes no call and returns at once.

Defined in an importable module (bench/pylib is on PYTHONPATH for the program and the provider
process), so dill pickles the provider by reference, exactly like pulumi_mfa_push's providers."""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

_KEY = "__provider"


def _plain(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != _KEY}


class NoopProvider(ResourceProvider):
    # Same choice as pulumi_mfa_push.SchemaProvider: the pickled provider is not a secret.
    serialize_as_secret_always = False

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = any(olds.get(k) != v for k, v in _plain(news).items())
        return DiffResult(changes=changed, replaces=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(uuid.uuid4().hex, _plain(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, _plain(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_plain(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class Noop(pulumi.dynamic.Resource, module="bench", name="Noop"):
    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(NoopProvider(), name, dict(props), opts)
