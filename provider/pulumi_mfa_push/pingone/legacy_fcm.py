"""Retiring legacy FCM push credentials: a declared deletion of an application's credentials of
type FCM (Google's shut-down server-key API), made only once their FCM_HTTP_V1 replacement exists.

PingOne refuses new FCM credentials, but tenants made before keep theirs. The program finds them
with `pingone.legacy_fcm_credentials(environment_id, application_id)` (one GET, made while the
program runs, at preview and at up) and hands their ids to this resource, whose create deletes
them after checking that `replacement_credential_id` is an FCM_HTTP_V1 credential of the same
application; passing that output also makes the engine create the replacement first. A failure
in between loses neither: the replacement stays in the stack, the legacy credential stays until
an `up` deletes it. Only new ids are a change; the resource's delete deletes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
import pulumi.runtime.settings
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from .. import _lazy, _schema, _settings, _validators
from .. import _paths as paths
from .._errors import ApiError, ProviderError
from .._provider import DynamicResource, SchemaProvider
from .._schema import Schema, prop
from .._validators import Uuid
from .push_credential import list_credentials

if TYPE_CHECKING:
    from . import _client
else:  # the HTTP client: imported by the first API call, not by the program or a preview
    _client = _lazy.module(f"{__package__}._client")

LEGACY_TYPE = "FCM"
REPLACEMENT_TYPE = "FCM_HTTP_V1"


# -- the lookup the program calls -------------------------------------------------------------------


class _ProgramConfig:
    """The program's stack config, asked like the config the engine hands the provider: the same
    `pingone:*` settings serve the program's lookup and the provider."""

    def get(self, key: str) -> Any:
        namespace, _, name = key.partition(":")
        return pulumi.Config(namespace).get(name) if namespace and name else None


def _environment_gone(environment_id: str, err: ApiError) -> ProviderError | None:
    """After a 400/401/403 under an environment, what PingOne's own clients do: look the
    environment up, to tell "it does not exist" from "the worker app may not see it"."""
    if err.status not in (400, 401, 403):
        return None
    try:
        _client.api().request("GET", paths.path("environments", environment_id), idempotent=True)
    except ApiError as lookup:
        if lookup.status == 404:
            return ProviderError(
                f"PingOne environment {environment_id} does not exist (GET /environments/{environment_id} "
                "answered 404): check environment_id"
            )
    except ProviderError:
        pass
    return None


def _refused(environment_id: str, err: ApiError) -> ProviderError:
    return _environment_gone(environment_id, err) or err


def _list(environment_id: str, application_id: str) -> list[dict[str, Any]]:
    """The application's credentials; an application or environment that does not exist is named."""
    try:
        return list_credentials(environment_id, application_id)
    except ApiError as err:
        if err.status == 404:
            raise ProviderError(
                f"PingOne application {application_id} does not exist in environment {environment_id}: "
                "check application_id"
            ) from None
        raise _refused(environment_id, err) from None


def _plain_uuid(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ProviderError(
            f"pingone.legacy_fcm_credentials: {name} must be a plain string (from stack config, say), "
            f"not {type(value).__name__}: the lookup runs while the program runs, before any output is known"
        )
    try:
        return _validators.uuid(value)
    except ValueError as err:
        raise ProviderError(f"pingone.legacy_fcm_credentials: {name} {err}") from None


def legacy_fcm_credentials(environment_id: str, application_id: str) -> list[str]:
    """The ids of the application's legacy FCM push credentials (none: `[]`), for a
    `LegacyFcmRetirement`.

    Runs in the program, at preview and at up: one GET of the application's credential list with
    the stack's `pingone:*` settings (those the provider uses). A missing setting, an application
    or environment that does not exist, or a refusal stops the program with one line."""
    try:
        env = _plain_uuid("environment_id", environment_id)
        app = _plain_uuid("application_id", application_id)
        if pulumi.runtime.settings.get_monitor() is not None:  # a Pulumi program: its stack config
            _settings.remember(_ProgramConfig())
        return [str(c.get("id")) for c in _list(env, app) if c.get("type") == LEGACY_TYPE]
    except ProviderError as err:
        raise pulumi.RunError(str(err)) from None


# -- the resource ---------------------------------------------------------------------------------


class LegacyFcmRetirementInputs(Schema):
    environment_id: Uuid = prop(description="the PingOne environment id (UUID) of the application", immutable=True)
    application_id: Uuid = prop(description="the native application's id (UUID)", immutable=True)
    credential_ids: list[Uuid] = prop(
        description="the legacy FCM credentials to delete, as `pingone.legacy_fcm_credentials` finds them "
        "(the preview shows them); only ids not retired yet are a change",
        max_length=100,
    )
    replacement_credential_id: Uuid = prop(
        description="the `credential_id` of the FCM_HTTP_V1 `PushCredential` that replaces them: nothing is "
        "deleted unless it exists in the same application (passing the output also orders the create)"
    )

    computed_outputs: ClassVar[dict[str, bool]] = {"retired_credential_ids": False}


def _retire(inputs: LegacyFcmRetirementInputs, already: set[str]) -> list[str]:
    """Delete the given legacy credentials not retired yet, once the replacement is there; every
    check is made before the first delete. Returns every id retired so far."""
    env, app = inputs.environment_id, inputs.application_id
    where = f"PingOne application {app} (environment {env})"
    _client.reads.forget(f"{env}/{app}")
    by_id = {str(c.get("id")).lower(): c for c in _list(env, app)}
    replacement = by_id.get(inputs.replacement_credential_id)
    if replacement is None or replacement.get("type") != REPLACEMENT_TYPE:
        found = "does not exist" if replacement is None else f"is of type {replacement.get('type')}"
        raise ProviderError(
            f"{where}: the replacement credential {inputs.replacement_credential_id} {found}, not "
            f"{REPLACEMENT_TYPE}; no legacy FCM credential was deleted. Pass the `credential_id` of the "
            f"application's {REPLACEMENT_TYPE} PushCredential as replacement_credential_id"
        )
    wanted = [i for i in dict.fromkeys(inputs.credential_ids) if i not in already]
    other = [f"{i} ({by_id[i].get('type')})" for i in wanted if i in by_id and by_id[i].get("type") != LEGACY_TYPE]
    if other:
        raise ProviderError(
            f"{where}: {', '.join(other)} {'is' if len(other) == 1 else 'are'} not of type {LEGACY_TYPE}; no "
            "credential was deleted. credential_ids takes what pingone.legacy_fcm_credentials returns"
        )
    base = _client.credentials_path(env, app)
    for cred_id in (i for i in wanted if i in by_id):  # not listed: already gone
        try:
            _client.api().request("DELETE", base + paths.path(cred_id), idempotent=True, ok=(200, 204))
        except ApiError as err:
            if err.status == 404:  # gone meanwhile: what we wanted
                continue
            raise ProviderError(
                f"{where}: the legacy FCM credential {cred_id} was not deleted ({err}); the {REPLACEMENT_TYPE} "
                f"credential {inputs.replacement_credential_id} exists. Run `pulumi up` again to retire it"
            ) from None
    return sorted(already | set(wanted))


class LegacyFcmRetirementProvider(SchemaProvider[LegacyFcmRetirementInputs]):
    schema = LegacyFcmRetirementInputs

    def check_more(self, inputs: dict[str, Any]) -> list[tuple[str, str]]:
        ids, replacement = inputs.get("credential_ids"), inputs.get("replacement_credential_id")
        if (
            isinstance(ids, list)
            and isinstance(replacement, str)
            and not _schema.is_unknown(replacement)
            and replacement in ids
        ):
            return [("credential_ids", "lists the replacement credential itself; remove it")]
        return []

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Another application or environment is another retirement. Otherwise only ids not retired
        # yet are a change: once retired, the lookup finds nothing, and that is no change either.
        # The replacement is a guard checked at each retirement, not something to update.
        changes = _schema.changed_fields(self.schema, olds, news)
        replaces = [c for c in changes if c in self.schema.immutable_fields()]
        if replaces:
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=False)
        ids = news.get("credential_ids")
        retired = set(olds.get("retired_credential_ids") or [])
        new = _schema.is_unknown(ids) or bool({str(i).lower() for i in ids or []} - retired)
        return DiffResult(changes=new, replaces=[], delete_before_replace=None)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_of(props)
        retired = _retire(inputs, set())
        return CreateResult(
            f"{inputs.application_id}/legacy-fcm", self.outputs(inputs, {"retired_credential_ids": retired})
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # A record of what was retired: there is nothing on the server to compare it with.
        return self.refreshed(id_, props, {})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.inputs_of(news)
        retired = _retire(inputs, set(olds.get("retired_credential_ids") or []))
        return UpdateResult(self.outputs(inputs, {"retired_credential_ids": retired}))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing to undo: a retired credential cannot be brought back."""


class LegacyFcmRetirement(DynamicResource, module="pingone", name="LegacyFcmRetirement"):
    """Deletes an application's legacy FCM push credentials once their FCM_HTTP_V1 replacement exists.

    `credential_ids` comes from `pingone.legacy_fcm_credentials(environment_id, application_id)`;
    `replacement_credential_id` is the new `PushCredential`'s `credential_id` output, so the engine
    creates the replacement first, and the create checks that it exists before it deletes anything.
    A delete that fails leaves the legacy credential, and the next `up` deletes it. Destroying this
    resource deletes nothing."""

    provider_type = LegacyFcmRetirementProvider

    environment_id: pulumi.Output[str]
    application_id: pulumi.Output[str]
    credential_ids: pulumi.Output[list[str]]
    replacement_credential_id: pulumi.Output[str]
    retired_credential_ids: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        environment_id: pulumi.Input[str],
        application_id: pulumi.Input[str],
        credential_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        replacement_credential_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.declare(name, self.props_of(locals()), opts)
