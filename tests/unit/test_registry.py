"""The registry is the one list of resources: everything that lists them derives from it."""

from __future__ import annotations

import inspect

import pytest
from pulumi_mfa_push import pingid, pingone, powerauth, registry

PACKAGES = {"powerauth": powerauth, "pingone": pingone, "pingid": pingid}


def test_every_api_package_declares_its_resources_once() -> None:
    kinds = registry.kinds()
    assert [k.api for k in kinds] == [p for p in registry.API_PACKAGES for _ in PACKAGES[p].RESOURCES]
    assert len({k.token for k in kinds}) == len(kinds) == 9
    assert len({k.stack_key for k in kinds}) == len(kinds)
    for kind in kinds:
        # The public class path resolves to the registered class.
        assert getattr(PACKAGES[kind.api], kind.name) is kind.resource
        assert kind.type_token == f"pulumi-python:dynamic/{kind.token}"
        assert registry.by_token(kind.type_token) is kind


@pytest.mark.parametrize("kind", registry.kinds(), ids=lambda k: k.token)
def test_constructor_arguments_are_the_schema_fields(kind: registry.ResourceKind) -> None:
    params = list(inspect.signature(kind.resource.__init__).parameters)
    assert params[:2] == ["self", "name"] and params[-1] == "opts"
    assert params[2:-1] == list(kind.schema.model_fields)


def test_an_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="powerauth:Application"):
        registry.by_token("powerauth:Nope")
