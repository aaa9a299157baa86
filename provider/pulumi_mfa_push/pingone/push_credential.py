"""PingOne MFA push credential of a native application: APNS, FCM_HTTP_V1 or HMS.

PingOne's data model marks every property immutable and never returns the secrets, so any
change replaces the credential, and drift in the secrets cannot be seen."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import AfterValidator, StringConstraints

from .. import _lazy
from .. import _paths as paths
from .._errors import ApiError, ProviderError
from .._provider import DynamicResource, SchemaProvider, create_once, warn
from .._schema import Schema, is_unknown, prop
from .._validators import AppleKeyId, AppleTeamId, P8Key, PrintableToken, ServiceAccountJson, Uuid, printable

if TYPE_CHECKING:
    import httpx

    from . import _client
else:  # the HTTP client: imported by the first API call, not by the program or a preview
    _client = _lazy.module(f"{__package__}._client")

# -- value rules -------------------------------------------------------------------------


TYPES = ("APNS", "FCM_HTTP_V1", "HMS")
#: The inputs each type needs; an input of another type is a mistake, not something to ignore.
FIELDS_BY_TYPE = {
    "APNS": ("key", "team_id", "token"),
    "FCM_HTTP_V1": ("google_service_account_credentials",),
    "HMS": ("client_id", "client_secret"),
}
_TYPE_OF_FIELD = {f: t for t, fields in FIELDS_BY_TYPE.items() for f in fields}


def _type(value: str) -> str:
    if value.upper() == "FCM":
        raise ValueError(
            "FCM (legacy server key) is no longer supported by PingOne; use type FCM_HTTP_V1 "
            "with google_service_account_credentials (the Firebase service-account JSON)"
        )
    if value not in TYPES:
        hint = f" (did you mean {value.upper()}?)" if value.upper() in TYPES else ""
        raise ValueError(f"must be one of {', '.join(TYPES)}{hint}")
    return value


CredentialType = Annotated[str, StringConstraints(min_length=1, max_length=32), AfterValidator(_type)]
HmsClientId = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(printable)]


class PushCredentialInputs(Schema):
    environment_id: Uuid = prop(description="the PingOne environment id (UUID) of the application", immutable=True)
    application_id: Uuid = prop(description="the native application's id (UUID)", immutable=True)
    type: CredentialType = prop(description="APNS, FCM_HTTP_V1 or HMS", immutable=True)
    key: AppleKeyId | None = prop(None, description="APNS: the 10-character key ID of the .p8 key", immutable=True)
    team_id: AppleTeamId | None = prop(None, description="APNS: the 10-character Apple team ID", immutable=True)
    token: P8Key | None = prop(
        None,
        description="APNS: the .p8 key file's PEM text (PKCS#8 EC P-256)",
        immutable=True,
        secret=True,
        write_only=True,
    )
    google_service_account_credentials: ServiceAccountJson | None = prop(
        None,
        description="FCM_HTTP_V1: the Firebase service-account key file's JSON text",
        immutable=True,
        secret=True,
        write_only=True,
    )
    client_id: HmsClientId | None = prop(None, description="HMS: the Huawei OAuth 2.0 client id", immutable=True)
    client_secret: PrintableToken | None = prop(
        None, description="HMS: the Huawei OAuth 2.0 client secret", immutable=True, secret=True, write_only=True
    )

    computed_outputs: ClassVar[dict[str, bool]] = {"credential_id": False, "created_at": False, "updated_at": False}


def _wire(inputs: PushCredentialInputs) -> dict[str, Any]:
    if inputs.type == "APNS":
        return {"type": "APNS", "key": inputs.key, "teamId": inputs.team_id, "token": inputs.token}
    if inputs.type == "FCM_HTTP_V1":
        return {"type": "FCM_HTTP_V1", "googleServiceAccountCredentials": inputs.google_service_account_credentials}
    return {"type": "HMS", "clientId": inputs.client_id, "clientSecret": inputs.client_secret}


def _computed(body: dict[str, Any]) -> dict[str, Any]:
    return {"credential_id": body.get("id"), "created_at": body.get("createdAt"), "updated_at": body.get("updatedAt")}


# -- API calls ---------------------------------------------------------------------------

#: How far the clock that stamps a credential's `createdAt` may run behind the one that stamps an
#: answer's `Date` (PingOne's hosts, not ours) before a credential our create made is not
#: recognised as ours after a lost answer (see `_ours`).
CLOCK_TOLERANCE = 1.0


def _listing(environment_id: str, application_id: str) -> tuple[httpx.Response, list[dict[str, Any]]]:
    """The list answer (for its `Date` header) and the application's credentials."""
    path = _client.credentials_path(environment_id, application_id)
    response, body = _client.api().exchange("GET", path, idempotent=True)
    embedded = body.get("_embedded") if body is not None else None
    items = embedded.get("pushCredentials") if isinstance(embedded, dict) else None
    return response, [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def list_credentials(environment_id: str, application_id: str) -> list[dict[str, Any]]:
    return _listing(environment_id, application_id)[1]


def _listed(environment_id: str, application_id: str) -> list[dict[str, Any]] | None:
    """The application's credentials, or None when the application itself is gone."""
    try:
        return list_credentials(environment_id, application_id)
    except ApiError as err:
        if err.status == 404:
            return None
        raise


def _server_time(response: httpx.Response) -> datetime | None:
    """The server's clock when it answered (the `Date` header, whole seconds), None if unreadable."""
    from email.utils import parsedate_to_datetime  # only after a lost answer

    try:
        when = parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else None


def _created_at(item: dict[str, Any]) -> datetime | None:
    value = item.get("createdAt")
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


def _ours(inputs: PushCredentialInputs, sent_at: float) -> dict[str, Any] | None:
    """After a lost answer: the credential our attempts made, if any (`sent_at`: the local
    monotonic time just before the first POST was sent).

    A credential of our type may also have been there before, made outside the stack: our POST
    was then refused, and that answer lost too. It must never be adopted (its secrets are not
    ours). The create does not list before posting (that doubled its calls), so the server's
    clock decides, and it is never compared with ours (which may be set differently): the list
    answer's `Date` less the time elapsed here (monotonic) since the first POST left is no later
    than when PingOne received that POST, and a credential whose `createdAt` is at or after it,
    less `CLOCK_TOLERANCE`, is ours. The `Date` header's truncation to whole seconds only moves
    that bound earlier, by up to 1 s, so the accepted residual risk is this: a credential of our
    type made by someone else within about 2 s before our POST reached PingOne is taken for ours
    after a lost answer. Without a readable `Date` or `createdAt`, nothing is adopted: an error
    says what to check."""
    response, items = _listing(inputs.environment_id, inputs.application_id)
    elapsed = time.monotonic() - sent_at
    candidates = [
        item
        for item in items
        if item.get("type") == inputs.type
        and not (inputs.type == "HMS" and item.get("clientId") not in (None, inputs.client_id))
    ]
    if not candidates:
        return None
    now = _server_time(response)
    if now is None:
        raise _undecided(inputs, candidates, "PingOne's list answer has no readable Date header")
    since = now - timedelta(seconds=elapsed + CLOCK_TOLERANCE)
    mine = []
    for item in candidates:
        created = _created_at(item)
        if created is None:
            raise _undecided(inputs, [item], "its createdAt is missing or unreadable")
        if created >= since:
            mine.append((created, item))
    return max(mine, key=lambda pair: pair[0])[1] if mine else None


def _undecided(inputs: PushCredentialInputs, candidates: list[dict[str, Any]], why: str) -> ProviderError:
    path = _client.credentials_path(inputs.environment_id, inputs.application_id)
    ids = [str(i.get("id")) for i in candidates]
    return ProviderError(
        f"The answer to the create of a {inputs.type} push credential in PingOne application "
        f"{inputs.application_id} (environment {inputs.environment_id}) was lost, and whether credential "
        f"{' or '.join(ids)} is the one it made cannot be told: {why}. It is not adopted, since it may be "
        "someone else's (PingOne never returns a credential's secrets). Check it (PingOne console: "
        "Applications > the application > Push credentials); if it is not in use, delete it "
        f"(DELETE {path}/{ids[0]}) and run again."
    )


def _clash(inputs: PushCredentialInputs) -> ProviderError:
    path = _client.credentials_path(inputs.environment_id, inputs.application_id)
    existing = [
        str(i.get("id"))
        for i in list_credentials(inputs.environment_id, inputs.application_id)
        if i.get("type") == inputs.type
    ]
    which = " and ".join(existing) or "<id>"
    first = existing[0] if existing else "<id>"
    return ProviderError(
        f"PingOne application {inputs.application_id} (environment {inputs.environment_id}) already has a push "
        f"credential of type {inputs.type}: {which}. An application holds one credential per type. Delete it "
        f"(PingOne console: Applications > the application > Push credentials, or DELETE {path}/{first}) "
        "and run again, or remove this resource to keep the existing one. It cannot be imported or adopted: "
        "PingOne never returns a credential's secrets, so this stack could not know what it holds."
    )


class PushCredentialProvider(SchemaProvider[PushCredentialInputs]):
    schema = PushCredentialInputs

    def check_more(self, inputs: dict[str, Any]) -> list[tuple[str, str]]:
        kind = inputs.get("type")
        if not isinstance(kind, str) or is_unknown(kind) or kind not in FIELDS_BY_TYPE:
            return []
        failures = []
        for field in FIELDS_BY_TYPE[kind]:
            if inputs.get(field) is None:
                info = PushCredentialInputs.model_fields[field]
                failures.append((field, f"`{field}` is required when type is {kind}. Expected: {info.description}"))
        for field, owner in _TYPE_OF_FIELD.items():
            if owner != kind and inputs.get(field) is not None:
                failures.append((field, f"`{field}` is used only with type {owner}; remove it (type is {kind})"))
        return failures

    def delete_before_replace(self, olds: dict[str, Any], news: dict[str, Any]) -> bool | None:
        # The application holds one credential per type: a new one of the same type in the same
        # application can only be created once the old one is gone. Any other replacement creates
        # first, so the application is never without a credential.
        same = ("environment_id", "application_id", "type")
        return all(is_unknown(news.get(k)) or news.get(k) == olds.get(k) for k in same)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_of(props)
        _client.reads.forget(f"{inputs.environment_id}/{inputs.application_id}")
        api = _client.api()
        path = _client.credentials_path(inputs.environment_id, inputs.application_id)

        def post() -> dict[str, Any]:
            response, body = api.exchange(
                "POST", path, json=_wire(inputs), idempotent=False, ok=(200, 201, 400, 409), require=("id",)
            )
            if body is None:  # 400 or 409
                if response.status_code == 409 or "UNIQUENESS_VIOLATION" in _client.error_codes(response):
                    raise _clash(inputs)
                raise api.refused("POST", path, response)
            return body

        # One POST, no list first: only after a lost answer does `_ours` list, and it tells ours
        # apart by the server's clock and the time since the first POST left. The token is made
        # current first so that its round trip does not count in that time.
        _client.tokens().current()
        sent_at = time.monotonic()
        body = create_once(post, lambda: _ours(inputs, sent_at))
        return CreateResult(str(body["id"]), self.outputs(inputs, _computed(body)))

    def find_existing(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        inputs = self.inputs_of(props)
        for body in list_credentials(inputs.environment_id, inputs.application_id):
            if body.get("type") == inputs.type:
                return str(body["id"]), self.outputs(inputs, _computed(body))
        return None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        env, app = props.get("environment_id"), props.get("application_id")
        if not env or not app:
            raise ProviderError(
                f"PingOne push credential {id_} cannot be read without environment_id and application_id "
                "(dynamic resources cannot be imported)"
            )
        # One list per application serves all its credentials on refresh.
        listed = _client.reads.get(f"{env}/{app}", lambda: _listed(env, app))
        body = next((c for c in listed or [] if str(c.get("id")) == id_), None)
        if body is None:
            warn(f"PingOne push credential {id_} no longer exists (deleted outside Pulumi); removing it from the stack")
            return self.gone()
        # A changed type is drift the next diff turns into a replacement; secrets keep the
        # state's values because PingOne never returns them.
        read = _computed(body) | {"type": body.get("type") or None, "client_id": body.get("clientId") or None}
        return self.refreshed(id_, props, read)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Every input is immutable, so the engine replaces instead of updating; nothing to send.
        inputs = self.inputs_of(news)
        return UpdateResult(self.outputs(inputs, {k: olds.get(k) for k in PushCredentialInputs.computed_outputs}))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _client.reads.forget(f"{props.get('environment_id')}/{props.get('application_id')}")
        path = _client.credentials_path(props["environment_id"], props["application_id"]) + paths.path(id_)
        try:
            _client.api().request("DELETE", path, idempotent=True, ok=(200, 204))
        except ApiError as err:
            if err.status != 404:  # already gone is what we wanted
                raise


class PushCredential(DynamicResource, module="pingone", name="PushCredential"):
    """A PingOne MFA push credential (APNS, FCM_HTTP_V1 or HMS) of a native application.

    Every argument is immutable: a change replaces the credential. PingOne allows one
    credential per type in an application, so replacing it with one of the same type deletes
    the old credential first: the application is briefly without it, and pushes sent in that
    window fail. A change of type (or of application) creates the new credential first.
    The secrets (`token`, `google_service_account_credentials`, `client_secret`) are never
    returned by PingOne, so a refresh cannot detect that they were changed elsewhere."""

    provider_type = PushCredentialProvider

    environment_id: pulumi.Output[str]
    application_id: pulumi.Output[str]
    type: pulumi.Output[str]
    key: pulumi.Output[str | None]
    team_id: pulumi.Output[str | None]
    token: pulumi.Output[str | None]
    google_service_account_credentials: pulumi.Output[str | None]
    client_id: pulumi.Output[str | None]
    client_secret: pulumi.Output[str | None]
    credential_id: pulumi.Output[str]
    created_at: pulumi.Output[str]
    updated_at: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        environment_id: pulumi.Input[str],
        application_id: pulumi.Input[str],
        type: pulumi.Input[str],
        key: pulumi.Input[str] | None = None,
        team_id: pulumi.Input[str] | None = None,
        token: pulumi.Input[str] | None = None,
        google_service_account_credentials: pulumi.Input[str] | None = None,
        client_id: pulumi.Input[str] | None = None,
        client_secret: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.declare(name, self.props_of(locals()), opts)
