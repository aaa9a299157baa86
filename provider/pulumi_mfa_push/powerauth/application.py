"""PowerAuth Cloud application: created by id, never deleted (the API has no delete)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from .. import _lazy
from .. import _paths as paths
from .._errors import ApiError, ProviderError, answer_may_be_lost
from .._provider import DynamicResource, SchemaProvider, create_once, warn
from .._schema import Schema, prop
from ._validators import ApplicationId, Roles

if TYPE_CHECKING:
    from . import _client
else:  # the HTTP client: imported by the first API call, not by the program or a preview
    _client = _lazy.module(f"{__package__}._client")


class ApplicationInputs(Schema):
    application_id: ApplicationId = prop(
        description=(
            "the application id, 1-255 ASCII letters, digits and _ - . ~ : @ + "
            "(immutable: a change replaces the application)"
        ),
        immutable=True,
    )
    roles: Roles | None = prop(
        None,
        description="the exact role set; leave it out to not manage roles here",
        unmanaged_when_none=True,
    )
    adopt: bool = prop(False, description="take over an existing application with this id instead of failing")

    computed_outputs: ClassVar[dict[str, bool]] = {
        "service_base_url": False,
        "mobile_sdk_config": True,
        "app_key": False,
        "app_secret": True,
        "master_server_public_key": False,
    }


def _computed(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "service_base_url": body.get("serviceBaseUrl"),
        "mobile_sdk_config": body.get("mobileSdkConfig"),
        "app_key": body.get("appKey"),
        "app_secret": body.get("appSecret"),
        "master_server_public_key": body.get("masterServerPublicKey"),
    }


def get_application(application_id: str) -> dict[str, Any] | None:
    try:
        return _client.api().call("GET", paths.path("admin", "applications", application_id), idempotent=True)
    except ApiError as err:
        if _client.is_unknown_application(err):
            return None
        raise


def set_roles(application_id: str, add: set[str], remove: set[str]) -> None:
    """Apply only the difference: one add call, one remove call, each idempotent."""
    api = _client.api()
    _client.reads.forget(f"app/{application_id}")
    if add:
        api.request(
            "POST", "/admin/applications/roles", json={"id": application_id, "roles": sorted(add)}, idempotent=True
        )
    if remove:
        api.request(
            "POST",
            paths.path("admin", "applications", application_id, "roles", "remove"),
            json={"roles": sorted(remove)},
            idempotent=True,
        )


class ApplicationProvider(SchemaProvider[ApplicationInputs]):
    schema = ApplicationInputs

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_of(props)
        app_id = inputs.application_id

        def post() -> dict[str, Any]:
            wire = {"id": app_id, "roles": inputs.roles or []}
            return _client.api().call("POST", "/admin/applications", json=wire, idempotent=False)

        try:
            # The id is ours: an application with it, found after a lost answer, is the one we made.
            body = create_once(post, lambda: get_application(app_id))
        except ApiError as err:
            if answer_may_be_lost(err):
                raise
            existing = get_application(app_id) if inputs.adopt or err.status == 400 else None
            if existing is None:
                raise
            if not inputs.adopt:
                raise ProviderError(
                    f"PowerAuth application {app_id!r} already exists. Set adopt=True to manage it "
                    "with this stack (pulumi import does not work with dynamic providers), or pick another id."
                ) from None
            body = existing
        body = self._converge_roles(app_id, inputs.roles, body)
        return CreateResult(app_id, self.outputs(inputs, _computed(body)) | {"roles": body.get("roles", [])})

    @staticmethod
    def _converge_roles(app_id: str, wanted: list[str] | None, body: dict[str, Any]) -> dict[str, Any]:
        if wanted is None:
            return body
        have = set(body.get("roles") or [])
        want = set(wanted)
        if have != want:
            set_roles(app_id, want - have, have - want)
            body = dict(body, roles=sorted(want))
        return body

    def find_existing(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        inputs = self.inputs_of(props)
        body = get_application(inputs.application_id)
        if body is None:
            return None
        return inputs.application_id, self.outputs(inputs, _computed(body)) | {"roles": body.get("roles", [])}

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        body = _client.reads.get(f"app/{id_}", lambda: get_application(id_))
        if body is None:
            return self.gone()
        read = _computed(body) | {"application_id": body.get("id", id_), "roles": sorted(body.get("roles") or [])}
        return self.refreshed(id_, props, read)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.inputs_of(news)
        roles = sorted(olds.get("roles") or [])
        if inputs.roles is not None:
            have, want = set(roles), set(inputs.roles)
            set_roles(id_, want - have, have - want)
            roles = sorted(want)
        computed = {k: olds.get(k) for k in ApplicationInputs.computed_outputs}
        return UpdateResult(self.outputs(inputs, computed) | {"roles": roles})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        warn(
            f"PowerAuth application {id_!r} was removed from the stack but still exists at PowerAuth Cloud: "
            "the API cannot delete applications. Recreating it with the same id needs adopt=True."
        )


class Application(DynamicResource, module="powerauth", name="Application"):
    """A PowerAuth Cloud application. `roles`, when given, is the exact role set."""

    provider_type = ApplicationProvider

    application_id: pulumi.Output[str]
    roles: pulumi.Output[list[str]]
    service_base_url: pulumi.Output[str]
    mobile_sdk_config: pulumi.Output[str]
    app_key: pulumi.Output[str]
    app_secret: pulumi.Output[str]
    master_server_public_key: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        application_id: pulumi.Input[str],
        roles: pulumi.Input[list[pulumi.Input[str]]] | None = None,
        adopt: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.declare(name, self.props_of(locals()), opts)
