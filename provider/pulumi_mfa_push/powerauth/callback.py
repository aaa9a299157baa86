"""A PowerAuth callback (webhook). Creating one is not idempotent on the server, so a
create whose answer was lost looks for its callback (name, URL, type) before trying again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .. import _lazy
from .. import _paths as paths
from .._errors import ApiError
from .._provider import DynamicResource, SchemaProvider, create_once
from .._schema import Schema, prop
from ._validators import ApplicationId

if TYPE_CHECKING:
    from . import _client
else:  # the HTTP client: imported by the first API call, not by the program or a preview
    _client = _lazy.module(f"{__package__}._client")

OPERATION_ATTRIBUTES = frozenset(
    [
        "userId",
        "applications",
        "operationType",
        "parameters",
        "additionalData",
        "activationFlag",
        "status",
        "data",
        "failureCount",
        "maxFailureCount",
        "signatureType",
        "externalId",
        "timestampCreated",
        "timestampExpires",
        "timestampFinalized",
    ]
)
REGISTRATION_ATTRIBUTES = frozenset(
    [
        "activationId",
        "userId",
        "activationName",
        "deviceInfo",
        "platform",
        "protocol",
        "activationFlags",
        "activationStatus",
        "blockedReason",
        "applicationId",
    ]
)
CallbackType = Literal["REGISTRATION_STATUS_CHANGE", "OPERATION_STATUS_CHANGE"]


#: PowerAuth's limit on a callback URL (the emulator's, as the admin API's column).
CALLBACK_URL_MAX = 1024


def _url(value: str) -> str:
    """An absolute http(s) URL without user info and with a valid port. No message repeats the
    value: a URL may hold a password."""
    if len(value) > CALLBACK_URL_MAX:
        raise ValueError(f"must be at most {CALLBACK_URL_MAX} characters (PowerAuth's limit)")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:  # an unclosed [IPv6] host, or a port that is not a number from 0 to 65535
        raise ValueError(
            "is not a valid URL (its host or port); give an absolute http(s) URL such as "
            "https://hooks.example.com/powerauth, with a port from 1 to 65535 if any"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("must be an absolute http(s) URL such as https://hooks.example.com/powerauth")
    if "@" in parts.netloc:
        raise ValueError(
            "holds a user name or password (user@host): it would be stored and shown in plain text; "
            "remove it and set http_basic {username, password} (the password is kept secret)"
        )
    if ":" in parts.netloc.rsplit("]", 1)[-1] and not port:  # `host:` or `host:0`
        raise ValueError("has a port that is not a number from 1 to 65535")
    return value


@dataclass(frozen=True)
class HttpBasicAuth:
    """HTTP Basic credentials PowerAuth sends with each callback (the password is secret)."""

    username: pulumi.Input[str]
    password: pulumi.Input[str] | None = None


class _HttpBasic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    username: str = Field(min_length=1, max_length=255)
    password: str | None = Field(default=None, min_length=1, max_length=255)


class CallbackInputs(Schema):
    application_id: ApplicationId = prop(description="the PowerAuth application (immutable)", immutable=True)
    callback_name: str = prop(description="a name for the callback, 1-255 characters", min_length=1, max_length=255)
    type: CallbackType = prop(
        description="REGISTRATION_STATUS_CHANGE or OPERATION_STATUS_CHANGE (immutable)", immutable=True
    )
    callback_url: Annotated[str, AfterValidator(_url)] = prop(
        description=f"an absolute http(s) URL, at most {CALLBACK_URL_MAX} characters, without user info "
        "(credentials go in http_basic)"
    )
    attributes: list[str] | None = prop(
        None, description="attributes to include, from the spec's list for the callback type"
    )
    http_basic: _HttpBasic | None = prop(
        None, description="{username, password} for HTTP Basic authentication of callbacks", secret=True
    )

    computed_outputs: ClassVar[dict[str, bool]] = {"callback_id": False, "password_set": False}

    @field_validator("attributes")
    @classmethod
    def _attributes_fit_type(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return value
        kind = info.data.get("type")
        allowed = OPERATION_ATTRIBUTES if kind == "OPERATION_STATUS_CHANGE" else REGISTRATION_ATTRIBUTES
        bad = [a for a in value if a not in allowed]
        if bad:
            raise ValueError(f"attributes {bad} are not valid for {kind} callbacks; choose from {sorted(allowed)}")
        if len(set(value)) != len(value):
            raise ValueError("attributes must not repeat")
        return value


def _body(inputs: CallbackInputs, with_type: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": inputs.callback_name,
        "callbackUrl": inputs.callback_url,
        "attributes": list(inputs.attributes or []),
    }
    if with_type:
        body["type"] = inputs.type
    if inputs.http_basic is not None:
        basic: dict[str, Any] = {"enabled": True, "username": inputs.http_basic.username}
        if inputs.http_basic.password is not None:
            basic["password"] = inputs.http_basic.password
        body["authentication"] = {"httpBasic": basic}
    else:
        body["authentication"] = {"httpBasic": {"enabled": False}}
    return body


def _list(application_id: str) -> list[dict[str, Any]] | None:
    try:
        path = paths.path("v2", "admin", "applications", application_id, "callbacks")
        body = _client.api().call("GET", path, idempotent=True)
    except ApiError as err:
        if _client.is_unknown_application(err):
            return None
        raise
    callbacks = body.get("callbacks")
    return [cb for cb in callbacks if isinstance(cb, dict)] if isinstance(callbacks, list) else []


def _computed(cb: dict[str, Any]) -> dict[str, Any]:
    basic = (cb.get("authentication") or {}).get("httpBasic") or {}
    return {"callback_id": cb.get("callbackId"), "password_set": bool(basic.get("passwordSet", False))}


class CallbackProvider(SchemaProvider[CallbackInputs]):
    schema = CallbackInputs

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_of(props)
        path = paths.path("v2", "admin", "applications", inputs.application_id, "callbacks")
        _client.reads.forget(f"callbacks/{inputs.application_id}")

        def post() -> dict[str, Any]:
            return _client.api().call("POST", path, json=_body(inputs, True), idempotent=False, require=("callbackId",))

        # The server may have stored the callback before the answer was lost: look for it first.
        cb = create_once(post, lambda: self._find(inputs))
        return CreateResult(str(cb["callbackId"]), self.outputs(inputs, _computed(cb)))

    @staticmethod
    def _find(inputs: CallbackInputs) -> dict[str, Any] | None:
        for cb in _list(inputs.application_id) or []:
            if (
                cb.get("name") == inputs.callback_name
                and cb.get("callbackUrl") == inputs.callback_url
                and cb.get("type") == inputs.type
            ):
                return cb
        return None

    def find_existing(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        inputs = self.inputs_of(props)
        found = self._find(inputs)
        return None if found is None else (str(found["callbackId"]), self.outputs(inputs, _computed(found)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        app = props["application_id"]
        callbacks = _client.reads.get(f"callbacks/{app}", lambda: _list(app))
        found = next((cb for cb in callbacks or [] if cb.get("callbackId") == id_), None)
        if found is None:
            return self.gone()
        read = {
            "callback_name": found.get("name"),
            "callback_url": found.get("callbackUrl"),
            "type": found.get("type", props.get("type")),
            "attributes": found.get("attributes") or ([] if props.get("attributes") is not None else None),
            **_computed(found),
        }
        unset = [] if read["attributes"] is not None else ["attributes"]
        basic = (found.get("authentication") or {}).get("httpBasic") or {}
        if basic.get("enabled"):
            # The password is write-only: keep the state's value; the username is read back.
            old = props.get("http_basic") or {}
            read["http_basic"] = {
                "username": basic.get("username"),
                **({"password": old["password"]} if old.get("password") else {}),
            }
        else:
            unset.append("http_basic")
        return self.refreshed(id_, props, read, unset)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.inputs_of(news)
        _client.reads.forget(f"callbacks/{inputs.application_id}")
        cb = _client.api().call(
            "PUT",
            paths.path("v2", "admin", "applications", inputs.application_id, "callbacks", id_),
            json=_body(inputs, False),
            idempotent=True,
        )
        return UpdateResult(self.outputs(inputs, _computed(cb)))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _client.reads.forget(f"callbacks/{props['application_id']}")
        try:
            where = paths.path("v2", "admin", "applications", props["application_id"], "callbacks", id_)
            _client.api().request("DELETE", where, idempotent=True)
        except ApiError as err:
            if err.status in (400, 404) and err.code in ("ERROR_ADMIN", "ERROR_NOT_FOUND"):
                return  # already gone, or its application is
            raise


class Callback(DynamicResource, module="powerauth", name="Callback"):
    """A PowerAuth callback URL notified on registration or operation status changes."""

    provider_type = CallbackProvider

    application_id: pulumi.Output[str]
    callback_name: pulumi.Output[str]
    type: pulumi.Output[str]
    callback_url: pulumi.Output[str]
    attributes: pulumi.Output[list[str]]
    http_basic: pulumi.Output[dict[str, str]]
    callback_id: pulumi.Output[str]
    password_set: pulumi.Output[bool]

    def __init__(
        self,
        name: str,
        application_id: pulumi.Input[str],
        callback_name: pulumi.Input[str],
        type: pulumi.Input[str],
        callback_url: pulumi.Input[str],
        attributes: pulumi.Input[list[pulumi.Input[str]]] | None = None,
        http_basic: pulumi.Input[HttpBasicAuth | dict[str, Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if isinstance(http_basic, HttpBasicAuth):
            http_basic = {"username": http_basic.username, "password": http_basic.password}
        self.declare(name, self.props_of(locals()), opts)
