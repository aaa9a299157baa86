"""A non-exclusive role set: ensures its roles exist on an application and removes only
its own roles on delete. Several role sets (and unmanaged roles) can share one application."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from .. import _lazy
from .._errors import ApiError
from .._provider import DynamicResource, SchemaProvider
from .._schema import Schema, prop
from ._validators import ApplicationId, Roles
from .application import get_application, set_roles

if TYPE_CHECKING:
    from . import _client
else:  # the HTTP client: imported by the first API call, not by the program or a preview
    _client = _lazy.module(f"{__package__}._client")


class ApplicationRolesInputs(Schema):
    application_id: ApplicationId = prop(
        description="the PowerAuth application the roles belong to (immutable)", immutable=True
    )
    roles: Roles = prop(description="a non-empty list of roles this set ensures", min_length=1)

    computed_outputs: ClassVar[dict[str, bool]] = {}


class ApplicationRolesProvider(SchemaProvider[ApplicationRolesInputs]):
    schema = ApplicationRolesInputs

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_of(props)
        # Role adds are idempotent, so a retried create cannot duplicate anything.
        set_roles(inputs.application_id, set(inputs.roles), set())
        return CreateResult(f"{inputs.application_id}/roles/{uuid.uuid4().hex[:12]}", self.outputs(inputs, {}))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        app = props["application_id"]
        body = _client.reads.get(f"app/{app}", lambda: get_application(app))
        if body is None:
            return self.gone()
        present = sorted(set(props.get("roles") or []) & set(body.get("roles") or []))
        return self.refreshed(id_, props, {"roles": present})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.inputs_of(news)
        have, want = set(olds.get("roles") or []), set(inputs.roles)
        set_roles(inputs.application_id, want - have, have - want)
        return UpdateResult(self.outputs(inputs, {}))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        roles = set(props.get("roles") or [])
        if not roles:
            return
        try:
            set_roles(props["application_id"], set(), roles)
        except ApiError as err:
            if not _client.is_unknown_application(err):
                raise


class ApplicationRoles(DynamicResource, module="powerauth", name="ApplicationRoles"):
    """Roles this stack ensures on a PowerAuth application, without owning the others."""

    provider_type = ApplicationRolesProvider

    application_id: pulumi.Output[str]
    roles: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        application_id: pulumi.Input[str],
        roles: pulumi.Input[list[pulumi.Input[str]]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.declare(name, self.props_of(locals()), opts)
