"""PingID SDK application: created by id, updated in place, retired on delete (the API
has no DELETE; only the admin console can remove an application)."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import unicodedata
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import AfterValidator, StringConstraints

from .. import _lazy
from .. import _paths as paths
from .._errors import ApiError, ProviderError
from .._provider import DynamicResource, SchemaProvider, create_once, warn
from .._schema import Schema, prop
from .._validators import PrintableToken, Uuid

if TYPE_CHECKING:
    import httpx

    from . import _client
else:  # the HTTP client: imported by the first API call, not by the program or a preview
    _client = _lazy.module(f"{__package__}._client")

# -- value rules -------------------------------------------------------------------------

_SENDER_ID = re.compile(r"^[0-9]{1,32}$")
_RETIRED = re.compile(r" \(retired [^()]*\)$")
#: Names from the admin console come back as this prefix + Base64 of the name.
CONSOLE_PREFIX = "_base64Format_"
#: PingID does not publish a limit; this one leaves room in any plausible column and keeps
#: retired names ("<name> (retired <time>)") within it.
NAME_MAX = 128


def _name(value: str) -> str:
    if value != value.strip():
        raise ValueError("remove leading or trailing spaces")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in value):
        raise ValueError("control characters and line breaks are not allowed")
    if value.startswith(CONSOLE_PREFIX):
        raise ValueError(f"must not start with {CONSOLE_PREFIX} (PingID's marker for names set in the console)")
    return value


def _sender_id(value: str) -> str:
    if not _SENDER_ID.match(value):
        raise ValueError("must be the numeric FCM sender ID (the Firebase project number)")
    return value


AppName = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX), AfterValidator(_name)]
SenderId = Annotated[str, StringConstraints(min_length=1, max_length=32), AfterValidator(_sender_id)]


class ApplicationInputs(Schema):
    application_id: Uuid = prop(
        description="the application id, a UUID (immutable: a change replaces the application)", immutable=True
    )
    app_name: AppName = prop(description=f"the name, 1-{NAME_MAX} characters, unique per account ignoring case")
    app_enabled: bool = prop(False, description="whether the application is enabled")
    fcm_sender_id: SenderId | None = prop(None, description="the FCM sender ID (numeric)")
    fcm_server_key: PrintableToken | None = prop(
        None, description="the FCM legacy server key", secret=True, write_only=True
    )
    adopt: bool = prop(False, description="take over an existing application with this id instead of failing")

    computed_outputs: ClassVar[dict[str, bool]] = {"shared_between_accounts": False}


def decode_name(name: Any) -> str:
    """A console-made name (`_base64Format_<b64>`) as the user typed it."""
    text = str(name or "")
    if text.startswith(CONSOLE_PREFIX):
        try:
            return base64.b64decode(text[len(CONSOLE_PREFIX) :], validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return text
    return text


def _wire(inputs: ApplicationInputs) -> dict[str, Any]:
    body: dict[str, Any] = {"id": inputs.application_id, "name": inputs.app_name, "appEnabled": inputs.app_enabled}
    if inputs.fcm_sender_id is not None:
        body["fcmSenderId"] = inputs.fcm_sender_id
    if inputs.fcm_server_key is not None:
        body["fcmServerKey"] = inputs.fcm_server_key
    return body


def _computed(body: dict[str, Any]) -> dict[str, Any]:
    return {"shared_between_accounts": bool(body.get("sharedBetweenAccounts", False))}


def _same_name(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


# -- API calls ---------------------------------------------------------------------------


def get_application(client: _client.Client, application_id: str) -> dict[str, Any] | None:
    try:
        return client.call("GET", paths.path("applications", application_id), idempotent=True)
    except ApiError as err:
        if err.status == 404:
            return None
        raise


def list_applications(client: _client.Client) -> list[dict[str, Any]]:
    items = client.call("GET", "/applications", idempotent=True).get("applications")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _is_clash(response: httpx.Response) -> bool:
    return response.status_code == 409 or "UNIQUE_VALUE_REQUIRED" in _client.error_codes(response)


def _name_clash(client: _client.Client, application_id: str, name: str) -> ProviderError | None:
    """The other application that already uses `name` (ignoring case), as an error."""
    for other in list_applications(client):
        other_id = str(other.get("id", "")).lower()
        if other_id != application_id and _same_name(decode_name(other.get("name")), name):
            return ProviderError(
                f"PingID SDK application name {name!r} is already used by application {other_id} in account "
                f"{client.account_id}: names are unique per account, ignoring case. Choose another app_name, "
                "or rename the other application."
            )
    return None


def _exists(inputs: ApplicationInputs, existing: dict[str, Any]) -> ProviderError:
    return ProviderError(
        f"PingID SDK application {inputs.application_id} already exists (named "
        f"{decode_name(existing.get('name'))!r}). Set adopt=True to manage it with this stack (pulumi import "
        "does not work with dynamic providers), or choose another application_id."
    )


def put_application(client: _client.Client, inputs: ApplicationInputs) -> dict[str, Any]:
    """PUT the full desired representation (PUT is idempotent, so retried on a lost answer)."""
    path = paths.path("applications", inputs.application_id)
    response, body = client.exchange("PUT", path, json=_wire(inputs), idempotent=True, ok=(200, 201, 400, 404, 409))
    if response.status_code == 404:
        raise ProviderError(
            f"PingID SDK application {inputs.application_id} no longer exists (deleted in the console?): "
            "run `pulumi refresh` to drop it from the stack, then `pulumi up` to create it again"
        )
    if response.status_code in (400, 409):
        if _is_clash(response):
            clash = _name_clash(client, inputs.application_id, inputs.app_name)
            if clash is not None:
                raise clash
        raise client.refused("PUT", path, response)
    if body is None:
        raise AssertionError("exchange() returns the object of every success answer")
    return body


def create_application(client: _client.Client, inputs: ApplicationInputs) -> dict[str, Any]:
    """POST; a lost answer is settled by a GET of our id before trying again."""

    def post() -> dict[str, Any]:
        response, body = client.exchange(
            "POST", "/applications", json=_wire(inputs), idempotent=False, ok=(200, 201, 400, 409)
        )
        if body is None:  # 400 or 409
            if not _is_clash(response):
                raise client.refused("POST", "/applications", response)
            existing = get_application(client, inputs.application_id)
            if existing is not None:
                if inputs.adopt:  # it appeared after our look before the POST
                    return put_application(client, inputs)
                raise _exists(inputs, existing)
            clash = _name_clash(client, inputs.application_id, inputs.app_name)
            if clash is not None:
                raise clash
            raise client.refused("POST", "/applications", response)
        return body

    def find() -> dict[str, Any] | None:
        existing = get_application(client, inputs.application_id)
        if existing is None:
            return None
        if _same_name(decode_name(existing.get("name")), inputs.app_name):
            return existing  # our POST went through; its answer was lost
        if inputs.adopt:
            return put_application(client, inputs)
        raise _exists(inputs, existing)

    return create_once(post, find)


def retired_name(name: str, when: datetime, salt: str = "") -> str:
    """`<name> (retired <UTC time>)`, shortened to fit so that the name stays unique."""
    suffix = f" (retired {when.strftime('%Y-%m-%dT%H:%M:%SZ')}{' ' + salt if salt else ''})"
    name = _RETIRED.sub("", name)  # retiring again does not stack suffixes
    return name[: NAME_MAX - len(suffix)].rstrip() + suffix


class ApplicationProvider(SchemaProvider[ApplicationInputs]):
    schema = ApplicationInputs

    def delete_before_replace(self, olds: dict[str, Any], news: dict[str, Any]) -> bool | None:
        # Deleting retires the old application under a new name, which frees the name for the
        # replacement; the other order would clash on the (case-insensitive) unique name.
        return True

    def create(self, props: dict[str, Any]) -> CreateResult:
        _client.reads.forget("applications")
        inputs = self.inputs_of(props)
        client = _client.api()
        body = None
        if inputs.adopt:
            existing = get_application(client, inputs.application_id)
            if existing is not None:
                body = put_application(client, inputs)
        if body is None:
            body = create_application(client, inputs)
        return CreateResult(inputs.application_id, self.outputs(inputs, _computed(body)))

    def find_existing(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        inputs = self.inputs_of(props)
        body = get_application(_client.api(), inputs.application_id)
        return None if body is None else (inputs.application_id, self.outputs(inputs, _computed(body)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # One list of the account's applications serves every application on refresh.
        apps = _client.reads.get("applications", lambda: list_applications(_client.api()))
        body = next((a for a in apps if str(a.get("id", "")).lower() == id_.lower()), None)
        if body is None:
            warn(f"PingID SDK application {id_} no longer exists (deleted in the console); removing it from the stack")
            return self.gone()
        read = _computed(body) | {
            "application_id": str(body.get("id") or id_).lower(),
            "app_name": decode_name(body.get("name")),
            "app_enabled": bool(body.get("appEnabled", False)),
        }
        unset = []
        if "fcmSenderId" in body:  # only when PingID shows it; the server key never comes back
            if body["fcmSenderId"]:
                read["fcm_sender_id"] = str(body["fcmSenderId"])
            else:
                unset.append("fcm_sender_id")
        return self.refreshed(id_, props, read, unset)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _client.reads.forget("applications")
        inputs = self.inputs_of(news)
        body = put_application(_client.api(), inputs)
        return UpdateResult(self.outputs(inputs, _computed(body)))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _client.reads.forget("applications")
        client = _client.api()
        name = str(props.get("app_name") or id_)
        path = paths.path("applications", id_)
        when = datetime.now(UTC)
        for salt in ("", secrets.token_hex(3)):
            new_name = retired_name(name, when, salt)
            body = {"id": id_, "name": new_name, "appEnabled": False}
            response = client.request("PUT", path, json=body, idempotent=True, ok=(200, 201, 400, 404, 409))
            if response.status_code == 404:
                return  # already removed in the console: nothing left to retire
            if response.status_code in (200, 201):
                warn(
                    f"PingID SDK application {id_} cannot be deleted through the API: it was disabled and "
                    f"renamed to {new_name!r}. Delete it in the PingID admin console if it should go away; "
                    "creating it again with the same id needs adopt=True."
                )
                return
            if not _is_clash(response):
                break
        raise client.refused("PUT", path, response)


class Application(DynamicResource, module="pingid", name="Application"):
    """A PingID SDK application. There is no API to delete one: deleting (or replacing) it
    disables it and renames it to `<name> (retired <UTC time>)`, with a warning."""

    provider_type = ApplicationProvider

    application_id: pulumi.Output[str]
    app_name: pulumi.Output[str]
    app_enabled: pulumi.Output[bool]
    fcm_sender_id: pulumi.Output[str | None]
    fcm_server_key: pulumi.Output[str | None]
    adopt: pulumi.Output[bool]
    shared_between_accounts: pulumi.Output[bool]

    def __init__(
        self,
        name: str,
        application_id: pulumi.Input[str],
        app_name: pulumi.Input[str],
        app_enabled: pulumi.Input[bool] = False,
        fcm_sender_id: pulumi.Input[str] | None = None,
        fcm_server_key: pulumi.Input[str] | None = None,
        adopt: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.declare(name, self.props_of(locals()), opts)
