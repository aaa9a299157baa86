"""PowerAuth push configuration for APNs, FCM and HMS: one resource per platform.

Each platform's POST is an idempotent upsert and its secrets are write-only, so create and
update are the same call and refresh only sees the metadata. One GET of the application's
push configuration serves all three platforms on refresh."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import AfterValidator, BeforeValidator, StringConstraints

from .. import _lazy
from .. import _paths as paths
from .._errors import ApiError
from .._provider import DynamicResource, SchemaProvider
from .._schema import Schema, prop
from .._validators import AppleKeyId, AppleTeamId, P8Key, ServiceAccountJson
from ._validators import ApplicationId

if TYPE_CHECKING:
    from . import _client
else:  # the HTTP client: imported by the first API call, not by the program or a preview
    _client = _lazy.module(f"{__package__}._client")

Ident = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\s]+$")]


def _pem_text(value: str) -> str:
    """The key as PowerAuth gets it: without surrounding blank lines, ending in one newline."""
    return value.strip() + "\n"


#: The .p8 key's PEM text, sent (and kept in state) as `_pem_text` makes it.
ApnsKey = Annotated[P8Key, AfterValidator(_pem_text)]


def _env(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def project_of(service_account_json: str) -> str | None:
    try:
        value = json.loads(service_account_json).get("project_id")
    except (ValueError, AttributeError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class _PushInputs(Schema):
    """What every platform's configuration has."""

    application_id: ApplicationId = prop(description="the PowerAuth application (immutable)", immutable=True)


P = TypeVar("P", bound=_PushInputs)


class _PushProvider(SchemaProvider[P]):
    platform: ClassVar[str]

    def wire(self, inputs: P) -> dict[str, Any]:
        raise NotImplementedError

    def from_server(self, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _upsert(self, inputs: P) -> dict[str, Any]:
        body = _client.api().call(
            "POST",
            paths.path("admin", "applications", inputs.application_id, "push", self.platform),
            json=self.wire(inputs),
            idempotent=True,
        )
        _client.reads.forget(f"push/{inputs.application_id}")
        return body

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_of(props)
        self._upsert(inputs)
        return CreateResult(f"{inputs.application_id}/{self.platform}", self.outputs(inputs, {}))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        body = _client.push_config(props["application_id"])
        data = (body or {}).get(self.platform)
        if not data or not isinstance(data, dict):
            return self.gone()
        return self.refreshed(id_, props, self.from_server(data))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.inputs_of(news)
        self._upsert(inputs)
        return UpdateResult(self.outputs(inputs, {}))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            where = paths.path("admin", "applications", props["application_id"], "push", self.platform)
            _client.api().request("DELETE", where, idempotent=True)
        except ApiError as err:
            if not _client.is_unknown_application(err):
                raise
        _client.reads.forget(f"push/{props['application_id']}")


# ---- APNs ------------------------------------------------------------------------------
class ApnsConfigInputs(_PushInputs):
    topic: Ident = prop(description="the app's bundle id, e.g. com.example.app")
    key_id: AppleKeyId = prop(description="the 10-character APNs key id (upper-case letters and digits)")
    team_id: AppleTeamId = prop(description="the 10-character Apple team id (upper-case letters and digits)")
    environment: Annotated[Literal["DEVELOPMENT", "PRODUCTION"], BeforeValidator(_env)] = prop(
        description="DEVELOPMENT or PRODUCTION (any case)"
    )
    private_key: ApnsKey = prop(description="the .p8 key's PEM text (EC P-256, PKCS#8)", secret=True, write_only=True)


class ApnsConfigProvider(_PushProvider[ApnsConfigInputs]):
    schema = ApnsConfigInputs
    platform = "apns"

    def wire(self, inputs: ApnsConfigInputs) -> dict[str, Any]:
        return {
            "topic": inputs.topic,
            "keyId": inputs.key_id,
            "teamId": inputs.team_id,
            "environment": inputs.environment,
            "privateKeyBase64": _b64(inputs.private_key),
        }

    def from_server(self, data: dict[str, Any]) -> dict[str, Any]:
        env = data.get("environment")
        return {
            "topic": data.get("topic"),
            "key_id": data.get("keyId"),
            "team_id": data.get("teamId"),
            "environment": env.upper() if isinstance(env, str) else env,
        }


class ApnsConfig(DynamicResource, module="powerauth", name="ApnsConfig"):
    """APNs (Apple) push configuration of a PowerAuth application."""

    provider_type = ApnsConfigProvider

    application_id: pulumi.Output[str]
    topic: pulumi.Output[str]
    key_id: pulumi.Output[str]
    team_id: pulumi.Output[str]
    environment: pulumi.Output[str]
    private_key: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        application_id: pulumi.Input[str],
        topic: pulumi.Input[str],
        key_id: pulumi.Input[str],
        team_id: pulumi.Input[str],
        environment: pulumi.Input[str],
        private_key: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.declare(name, self.props_of(locals()), opts)


# ---- FCM -------------------------------------------------------------------------------
class FcmConfigInputs(_PushInputs):
    service_account_json: ServiceAccountJson = prop(
        description="the Google service-account key file's JSON text", secret=True, write_only=True
    )
    project_id: Ident | None = prop(
        None, description="the Firebase project id; defaults to project_id inside the service-account JSON"
    )


class FcmConfigProvider(_PushProvider[FcmConfigInputs]):
    schema = FcmConfigInputs
    platform = "fcm"

    def inputs_of(self, props: dict[str, Any]) -> FcmConfigInputs:
        inputs = super().inputs_of(props)
        if inputs.project_id is None:
            inputs = inputs.model_copy(update={"project_id": project_of(inputs.service_account_json)})
        return inputs

    def wire(self, inputs: FcmConfigInputs) -> dict[str, Any]:
        return {"projectId": inputs.project_id, "privateKeyBase64": _b64(inputs.service_account_json)}

    def from_server(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"project_id": data.get("projectId")}

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        # An omitted project_id means "the JSON's": compare with that, not with None.
        if news.get("project_id") is None and isinstance(news.get("service_account_json"), str):
            news = dict(news, project_id=project_of(news["service_account_json"]))
        return super().diff(_id, olds, news)


class FcmConfig(DynamicResource, module="powerauth", name="FcmConfig"):
    """FCM (Google) push configuration of a PowerAuth application."""

    provider_type = FcmConfigProvider

    application_id: pulumi.Output[str]
    service_account_json: pulumi.Output[str]
    project_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        application_id: pulumi.Input[str],
        service_account_json: pulumi.Input[str],
        project_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.declare(name, self.props_of(locals()), opts)


# ---- HMS -------------------------------------------------------------------------------
class HmsConfigInputs(_PushInputs):
    project_id: Ident = prop(description="the HMS project id")
    app_id: Ident = prop(description="the HMS app id")
    client_id: Ident = prop(description="the Huawei OAuth 2.0 client id")
    client_secret: Annotated[str, StringConstraints(min_length=1, max_length=1024)] = prop(
        description="the Huawei OAuth 2.0 client secret", secret=True, write_only=True
    )


class HmsConfigProvider(_PushProvider[HmsConfigInputs]):
    schema = HmsConfigInputs
    platform = "hms"

    def wire(self, inputs: HmsConfigInputs) -> dict[str, Any]:
        return {
            "projectId": inputs.project_id,
            "appId": inputs.app_id,
            "clientId": inputs.client_id,
            "clientSecret": inputs.client_secret,
        }

    def from_server(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"project_id": data.get("projectId")}


class HmsConfig(DynamicResource, module="powerauth", name="HmsConfig"):
    """HMS (Huawei) push configuration of a PowerAuth application."""

    provider_type = HmsConfigProvider

    application_id: pulumi.Output[str]
    project_id: pulumi.Output[str]
    app_id: pulumi.Output[str]
    client_id: pulumi.Output[str]
    client_secret: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        application_id: pulumi.Input[str],
        project_id: pulumi.Input[str],
        app_id: pulumi.Input[str],
        client_id: pulumi.Input[str],
        client_secret: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.declare(name, self.props_of(locals()), opts)
