"""The mfa-push policies, importable without starting the policy pack's gRPC server.

`__main__.py` hands `POLICIES` to `PolicyPack`; unit tests import this module and call
`policy.validate(args, report)` directly.

What the policies see (pulumi-policy 1.21, engine 3.27x):
- Resource policies get the *checked inputs* in `args.props`, secrets in plain text, values not
  known during preview as unknown sentinels: reading one through the props proxy raises
  `UnknownValueError`. Every read here goes through `_get`, which turns that into `UNKNOWN`, and a
  check skips what it cannot judge yet (it runs again at `pulumi up`).
- Stack policies get every resource's *outputs*. The PowerAuth Application always outputs the
  role set it read from the server, whether or not `roles` was an input, so outputs cannot tell
  who declares an application's roles. The resource policies therefore note the inputs of each
  Application and ApplicationRoles they see (the engine runs them for every resource before it
  runs the stack policies, in the same policy-pack process) and `single-owner-of-roles` reads
  those notes first; see `_declared_roles`.
- `args.opts` carries `protect` but not `retain_on_delete`: the analyzer protocol
  (`AnalyzerResourceOptions`) has no such field, so a policy cannot see it.
- The stack name reaches a Python pack only through the ConfigureStack RPC, which pulumi-policy
  1.21 ignores; `_take_stack_from_configure_stack` bridges it so pulumi.get_stack() works.
- Messages never contain secret values: they name properties and non-secret ids only.
"""

from __future__ import annotations

import fnmatch
import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

PACK_NAME = "mfa-push-policies"

_DYNAMIC = "pulumi-python:dynamic/"
POWERAUTH_APPLICATION = _DYNAMIC + "powerauth:Application"
POWERAUTH_APPLICATION_ROLES = _DYNAMIC + "powerauth:ApplicationRoles"
POWERAUTH_CALLBACK = _DYNAMIC + "powerauth:Callback"
POWERAUTH_APNS = _DYNAMIC + "powerauth:ApnsConfig"
POWERAUTH_FCM = _DYNAMIC + "powerauth:FcmConfig"
POWERAUTH_HMS = _DYNAMIC + "powerauth:HmsConfig"
PINGONE_PUSH_CREDENTIAL = _DYNAMIC + "pingone:PushCredential"
PINGID_APPLICATION = _DYNAMIC + "pingid:Application"

DEFAULT_ALLOWED_INSECURE_HOSTS = ["localhost", "127.0.0.1"]
DEFAULT_PRODUCTION_STACKS = ["prod", "production"]

#: The engine's placeholders for values not known until apply (pulumi_policy.proxy).
_UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)


class _Unknown:
    """A value that is not known during preview."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


# ---- reading props safely ----------------------------------------------------------------
def _unwrap(value: Any) -> Any:
    # pulumi_policy.Secret (only in remediation contexts) keeps the plain value in `.value`.
    return value.value if isinstance(value, Secret) else value


def _get(props: Any, *path: str | int) -> Any:
    """props[path...], or None when missing, or UNKNOWN when not known yet. Never raises."""
    cur: Any = props
    for key in path:
        cur = _unwrap(cur)
        if cur is None or cur is UNKNOWN:
            return cur
        try:
            if isinstance(key, int):
                cur = cur[key] if isinstance(cur, (list, tuple)) or _is_sequence(cur) else None
            elif isinstance(cur, Mapping):
                cur = cur[key]
            else:
                return None
        except (KeyError, IndexError, TypeError):
            return None
        except UnknownValueError:
            return UNKNOWN
        cur = _unwrap(cur)
        if isinstance(cur, str) and cur in _UNKNOWN_SENTINELS:
            return UNKNOWN
    return cur


def _is_sequence(value: Any) -> bool:
    return hasattr(value, "__len__") and hasattr(value, "__getitem__") and not isinstance(value, (str, bytes, Mapping))


def _str_list(value: Any) -> list[str] | None | Any:
    """A list of strings, None, or UNKNOWN (the list or any element not known yet)."""
    value = _unwrap(value)
    if value is None or value is UNKNOWN:
        return value
    if isinstance(value, str) and value in _UNKNOWN_SENTINELS:
        return UNKNOWN
    if isinstance(value, (str, bytes, Mapping)) or not _is_sequence(value):
        return None
    out: list[str] = []
    for index in range(len(value)):
        item = _get(value, index)
        if item is UNKNOWN:
            return UNKNOWN
        if isinstance(item, str):
            out.append(item)
    return out


def _text(value: Any) -> str | None:
    """A known, non-empty string, else None."""
    return value if isinstance(value, str) and value != "" and value not in _UNKNOWN_SENTINELS else None


def _is_set(value: Any) -> bool:
    """The input was given: a known non-empty value, or a value not known yet."""
    if value is UNKNOWN:
        return True
    if value is None:
        return False
    return not (isinstance(value, str) and value == "")


def _config_strings(config: Mapping[str, Any] | None, key: str, default: list[str]) -> list[str]:
    value = _get(config or {}, key)
    items = _str_list(value)
    if not isinstance(items, list):
        return list(default)
    return [i for i in items if i]


def _current_stack() -> str:
    """The stack being deployed: pulumi.get_stack(), which pulumi-policy configures from
    PULUMI_PROJECT/PULUMI_STACK/PULUMI_DRY_RUN before each validation (see
    `_take_stack_from_configure_stack` for where those come from); the variable as a fallback."""
    try:
        stack = pulumi.get_stack()
    except Exception:  # an unconfigured runtime must not fail the policy
        stack = ""
    return stack or os.environ.get("PULUMI_STACK", "")


def _take_stack_from_configure_stack() -> None:
    """Make pulumi.get_stack() work in this pack under the current engine.

    The engine starts a Python pack through the language host's RunPlugin with its own
    environment, without PULUMI_STACK/PULUMI_PROJECT/PULUMI_DRY_RUN (it sets those only for the
    old `pulumi-analyzer-policy-python` launcher), and tells the pack the stack through the
    ConfigureStack RPC instead. pulumi-policy 1.21 keeps only the tags of that request, so
    pulumi.get_stack() would answer the SDK's placeholder "stack". This wraps ConfigureStack
    (once per process) to put the request's project, stack and dry-run flag into those variables,
    from which pulumi-policy configures the runtime before every Analyze/AnalyzeStack."""
    from pulumi_policy import policy as _policy_module

    servicer = getattr(_policy_module, "_PolicyAnalyzerServicer", None)
    original = getattr(servicer, "ConfigureStack", None)
    if servicer is None or original is None or getattr(original, "_mfa_push_wrapped", False):
        return

    def configure_stack(self: Any, request: Any, context: Any) -> Any:
        stack = getattr(request, "stack", "")
        project = getattr(request, "project", "")
        if stack and project:
            os.environ["PULUMI_STACK"] = stack
            os.environ["PULUMI_PROJECT"] = project
            os.environ["PULUMI_DRY_RUN"] = "true" if getattr(request, "dry_run", False) else "false"
            organization = getattr(request, "organization", "")
            if organization:
                os.environ["PULUMI_ORGANIZATION"] = organization
        return original(self, request, context)

    configure_stack._mfa_push_wrapped = True  # type: ignore[attr-defined]
    configure_stack.__wrapped__ = original  # type: ignore[attr-defined]
    servicer.ConfigureStack = configure_stack


_take_stack_from_configure_stack()


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


# ---- inputs seen by resource policies, for the stack policy ------------------------------
_seen_lock = threading.Lock()
#: urn -> {"application_id": ..., "roles": ...} as the resource policies saw the inputs.
_seen_inputs: dict[str, dict[str, Any]] = {}


def _note_inputs(args: ResourceValidationArgs) -> None:
    if args.resource_type not in (POWERAUTH_APPLICATION, POWERAUTH_APPLICATION_ROLES):
        return
    snapshot = {
        "application_id": _get(args.props, "application_id"),
        "roles": _str_list(_get(args.props, "roles")),
    }
    with _seen_lock:
        _seen_inputs[args.urn] = snapshot


def _seen(urn: str) -> dict[str, Any] | None:
    with _seen_lock:
        return _seen_inputs.get(urn)


def forget_seen_inputs() -> None:
    """Drop the notes (for tests)."""
    with _seen_lock:
        _seen_inputs.clear()


ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]


def _resource_policy(
    name: str,
    description: str,
    check: ResourceCheck,
    level: EnforcementLevel,
    *,
    remediation: str,
    severity: Severity,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        _note_inputs(args)
        try:
            check(args, report)
        except UnknownValueError:
            # A value we did not read through _get was unknown: judge it at `pulumi up`.
            return

    validate.__name__ = check.__name__
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        config_schema=config_schema,
        severity=severity,
        remediation_steps=remediation,
    )


def _label(args: ResourceValidationArgs | PolicyResource) -> str:
    return repr(args.name)


# ---- no-deprecated-fcm ---------------------------------------------------------------------
def _check_no_deprecated_fcm(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == PINGONE_PUSH_CREDENTIAL:
        kind = _get(args.props, "type")
        if isinstance(kind, str) and kind.strip().upper() == "FCM":
            report(
                f"PingOne push credential {_label(args)}: `type` is FCM, Google's legacy FCM server-key API, "
                "which was shut down in 2024. Fix: set `type: FCM_HTTP_V1` with "
                "`google_service_account_credentials` (the Firebase service-account JSON, as a secret) and "
                "remove `key`.",
                None,
            )
    elif args.resource_type == PINGID_APPLICATION:
        legacy = [p for p in ("fcm_server_key", "fcm_sender_id") if _is_set(_get(args.props, p))]
        if legacy:
            props = " and ".join(f"`{p}`" for p in legacy)
            report(
                f"PingID SDK application {_label(args)} sets {props}: the legacy FCM server-key API that "
                "Google shut down in 2024. Fix: remove `fcm_server_key` and `fcm_sender_id` from the "
                "application and configure Android push with FCM HTTP v1 (service-account) credentials "
                "instead.",
                None,
            )


# ---- callback-url-https --------------------------------------------------------------------
def _check_callback_url_https(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != POWERAUTH_CALLBACK:
        return
    url = _get(args.props, "callback_url")
    if not isinstance(url, str):
        return  # missing (the provider's check reports it) or not known yet
    allowed = {
        h.lower().strip("[]")
        for h in _config_strings(args.get_config(), "allowedInsecureHosts", DEFAULT_ALLOWED_INSECURE_HOSTS)
    }
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
    except ValueError:
        scheme, host = "", ""
    if scheme == "https":
        return
    if scheme == "http" and host and host in allowed:
        return
    where = (
        f"http:// to host {host!r}"
        if scheme == "http" and host
        else (f"the scheme {scheme!r}" if scheme else "no URL scheme")
    )
    report(
        f"PowerAuth callback {_label(args)}: `callback_url` uses {where}, so PowerAuth would send "
        "operation and registration data (and the callback's credentials) unencrypted. Fix: change "
        "`callback_url` to an https:// URL; only for a local test receiver add its host to the policy's "
        f"`allowedInsecureHosts` setting (now: {sorted(allowed)}).",
        None,
    )


# ---- callback-authentication ---------------------------------------------------------------
def _check_callback_authentication(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != POWERAUTH_CALLBACK:
        return
    basic = _get(args.props, "http_basic")
    if basic is UNKNOWN:
        return
    username = _get(basic, "username") if isinstance(basic, Mapping) else None
    if username is UNKNOWN or _text(username):
        return
    report(
        f"PowerAuth callback {_label(args)}: `http_basic` is not set, so the receiver cannot tell "
        "PowerAuth's calls from anyone else's. Fix: set `http_basic: {username, password}` on the "
        "callback (store the password as a secret) and check those credentials in the receiver.",
        None,
    )


# ---- apns-production-environment -----------------------------------------------------------
def _is_production(stack: str, patterns: Iterable[str]) -> bool:
    name = stack.lower()
    return any(fnmatch.fnmatchcase(name, p.lower()) for p in patterns)


def _check_apns_production(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != POWERAUTH_APNS:
        return
    patterns = _config_strings(args.get_config(), "productionStacks", DEFAULT_PRODUCTION_STACKS)
    stack = _current_stack()
    if not stack or not _is_production(stack, patterns):
        return
    env = _get(args.props, "environment")
    if env is UNKNOWN or (isinstance(env, str) and env.strip().upper() == "PRODUCTION"):
        return
    shown = repr(_short(env)) if isinstance(env, str) else "not set"
    report(
        f"PowerAuth APNs configuration {_label(args)}: `environment` is {shown} on the production stack "
        f"{stack!r}: App Store and TestFlight builds only get pushes through Apple's production APNs. "
        "Fix: set `environment: PRODUCTION` (or, if this stack is not production, leave it out of the "
        "policy's `productionStacks` setting).",
        None,
    )


# ---- fcm-project-matches-credentials -------------------------------------------------------
def _json_project(service_account_json: Any) -> str | None:
    if not isinstance(service_account_json, str):
        return None
    try:
        data = json.loads(service_account_json)
    except ValueError:
        return None
    value = data.get("project_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def _check_fcm_project(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != POWERAUTH_FCM:
        return
    project = _get(args.props, "project_id")
    if not _text(project):
        return  # not set: the provider uses the JSON's project_id
    from_json = _json_project(_get(args.props, "service_account_json"))
    if from_json is None or from_json == project:
        return  # not known yet, or unreadable (the provider's check reports that)
    # The JSON is secret: its project_id is not repeated here.
    report(
        f"PowerAuth FCM configuration {_label(args)}: `project_id` {_short(project)!r} differs from the "
        "`project_id` inside `service_account_json` (not shown: the JSON is secret). FCM rejects a token "
        "for a project the service account does not belong to. Fix: remove `project_id` (the JSON's "
        "project is then used) or set it to the JSON's project_id, or use that project's key file.",
        None,
    )


# ---- protect-undeletable -------------------------------------------------------------------
def _check_protect(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == POWERAUTH_APPLICATION:
        what = "PowerAuth application"
        why = "PowerAuth Cloud cannot delete applications, so removing or replacing it in the stack leaves it behind"
    elif args.resource_type == PINGID_APPLICATION:
        what = "PingID SDK application"
        why = (
            "the PingID SDK API cannot delete applications: removing or replacing it in the stack disables "
            "and renames it, which stops push and pairing for its users"
        )
    else:
        return
    opts = getattr(args, "opts", None)
    if bool(getattr(opts, "protect", False)):
        return
    ident = _text(_get(args.props, "application_id"))
    shown = f" (application_id {_short(ident)!r})" if ident else ""
    report(
        f"{what} {_label(args)}{shown} is not protected: {why}. Fix: set `protect: true` on it in the "
        "stack config (ResourceOptions(protect=True) in code). Note: `retainOnDelete` cannot satisfy "
        "this policy: the policy engine does not pass that option to policies.",
        None,
    )


# ---- single-owner-of-roles (stack) ---------------------------------------------------------
#: Outputs only the provider computes: present in state after a create, absent from the
#: inputs-as-outputs the engine shows in preview for resources to be created or updated.
_APPLICATION_COMPUTED = ("app_key", "service_base_url", "master_server_public_key")


def _declared_roles(resource: PolicyResource) -> list[str] | None | Any:
    """The roles an Application declares: a list (it owns the exact role set), None (it does not
    manage roles) or UNKNOWN (cannot tell)."""
    seen = _seen(resource.urn)
    if seen is not None:
        return seen["roles"]
    props = resource.props
    if any(_text(_get(props, k)) for k in _APPLICATION_COMPUTED):
        # Real outputs: `roles` is the set read from the server, not a declaration.
        return UNKNOWN
    return _str_list(_get(props, "roles"))


def _role_set(resource: PolicyResource) -> tuple[Any, Any]:
    seen = _seen(resource.urn)
    if seen is not None:
        return seen["application_id"], seen["roles"]
    return _get(resource.props, "application_id"), _str_list(_get(resource.props, "roles"))


def _check_single_owner_of_roles(args: StackValidationArgs, report: ReportViolation) -> None:
    apps: dict[str, list[tuple[PolicyResource, list[str]]]] = {}
    role_sets: dict[str, list[tuple[PolicyResource, list[str]]]] = {}
    for res in args.resources:
        if res.resource_type == POWERAUTH_APPLICATION:
            app_id = _text(_get(res.props, "application_id"))
            roles = _declared_roles(res)
            if app_id and isinstance(roles, list):
                apps.setdefault(app_id, []).append((res, roles))
        elif res.resource_type == POWERAUTH_APPLICATION_ROLES:
            app_id, roles = _role_set(res)
            if _text(app_id) and isinstance(roles, list):
                role_sets.setdefault(app_id, []).append((res, roles))

    for app_id, owners in sorted(apps.items()):
        sets = role_sets.get(app_id, [])
        if not sets:
            continue
        names = ", ".join(repr(r.name) for r, _ in sets)
        for res, _roles in owners:
            report(
                f"PowerAuth application {res.name!r} (application_id {_short(app_id)!r}) sets `roles`, its exact "
                f"role set, and ApplicationRoles {names} also manage roles of that application: each apply of "
                "one undoes the other. Fix: remove `roles` from the application and keep the role sets, or "
                "move their roles into the application's `roles` and delete the ApplicationRoles.",
                res.urn,
            )

    for app_id, sets in sorted(role_sets.items()):
        owners_of: dict[str, list[PolicyResource]] = {}
        for res, roles in sets:
            for role in dict.fromkeys(roles):
                owners_of.setdefault(role, []).append(res)
        shared: dict[tuple[str, ...], list[str]] = {}
        for role, holders in owners_of.items():
            if len(holders) > 1:
                shared.setdefault(tuple(r.urn for r in holders), []).append(role)
        for urns, shared_roles in shared.items():
            holders = [r for r, _ in sets if r.urn in urns]
            names = " and ".join(repr(r.name) for r in holders)
            report(
                f"ApplicationRoles {names} of application_id {_short(app_id)!r} all declare `roles` "
                f"{sorted(shared_roles)}: deleting one of these role sets removes those roles although the "
                "others still want them. Fix: keep each role in exactly one ApplicationRoles (remove it from the "
                "others' `roles`).",
                holders[-1].urn,
            )


# ---- one-push-credential-per-type (stack) --------------------------------------------------
def _check_one_credential_per_type(args: StackValidationArgs, report: ReportViolation) -> None:
    groups: dict[tuple[str, str, str], list[PolicyResource]] = {}
    for res in args.resources:
        if res.resource_type != PINGONE_PUSH_CREDENTIAL:
            continue
        env = _text(_get(res.props, "environment_id"))
        app = _text(_get(res.props, "application_id"))
        kind = _text(_get(res.props, "type"))
        if env and app and kind:
            groups.setdefault((env.lower(), app.lower(), kind.strip().upper()), []).append(res)
    for (env, app, kind), members in sorted(groups.items()):
        if len(members) < 2:
            continue
        names = ", ".join(repr(r.name) for r in members)
        for res in members[1:]:
            report(
                f"PingOne push credentials {names} have the same environment_id {env!r}, application_id "
                f"{app!r} and `type` {kind}: PingOne keeps one push credential per type for an application, "
                "so creating the second one fails (or replaces the first). Fix: keep one of them and delete "
                "the others, or change `application_id` or `type` of the extra ones.",
                res.urn,
            )


# ---- the pack --------------------------------------------------------------------------------
no_deprecated_fcm = _resource_policy(
    "no-deprecated-fcm",
    "No legacy FCM server keys: Google shut the legacy FCM API down in 2024. Fix: use PingOne push "
    "credentials of type FCM_HTTP_V1 with a service-account JSON, and remove fcm_server_key / "
    "fcm_sender_id from PingID SDK applications.",
    _check_no_deprecated_fcm,
    EnforcementLevel.MANDATORY,
    remediation="PingOne: set type FCM_HTTP_V1 and google_service_account_credentials, remove key. "
    "PingID SDK: remove fcm_server_key and fcm_sender_id.",
    severity=Severity.HIGH,
)

callback_url_https = _resource_policy(
    "callback-url-https",
    "PowerAuth callback URLs use https. Fix: change callback_url to an https:// URL (hosts in the "
    "allowedInsecureHosts setting, by default localhost and 127.0.0.1, may use http).",
    _check_callback_url_https,
    EnforcementLevel.MANDATORY,
    remediation="Serve the callback receiver over TLS and set callback_url to its https:// URL.",
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedInsecureHosts": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_ALLOWED_INSECURE_HOSTS,
                "description": "Host names (no port) that callback URLs may reach over plain http.",
            }
        }
    ),
)

callback_authentication = _resource_policy(
    "callback-authentication",
    "PowerAuth callbacks authenticate with HTTP Basic. Fix: set http_basic {username, password} on the "
    "callback, with the password as a secret.",
    _check_callback_authentication,
    EnforcementLevel.ADVISORY,
    remediation="Set http_basic: {username, password} (password as a secret) and verify it in the receiver.",
    severity=Severity.MEDIUM,
)

apns_production_environment = _resource_policy(
    "apns-production-environment",
    "On production stacks, PowerAuth APNs configuration uses the PRODUCTION environment. Fix: set "
    "environment: PRODUCTION (production stacks are named by the productionStacks setting).",
    _check_apns_production,
    EnforcementLevel.MANDATORY,
    remediation="Set environment: PRODUCTION on the APNs configuration of production stacks.",
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "productionStacks": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_PRODUCTION_STACKS,
                "description": "Stack names (shell-style patterns such as prod-*, case-insensitive) that "
                "are production.",
            }
        }
    ),
)

fcm_project_matches_credentials = _resource_policy(
    "fcm-project-matches-credentials",
    "A PowerAuth FCM project_id, when set, equals the project_id in its service-account JSON. Fix: remove "
    "project_id or set it to the JSON's project_id.",
    _check_fcm_project,
    EnforcementLevel.MANDATORY,
    remediation="Remove project_id (the service-account JSON's project is used) or make the two agree.",
    severity=Severity.HIGH,
)

protect_undeletable = _resource_policy(
    "protect-undeletable",
    "PowerAuth and PingID SDK applications, which cannot be deleted through their APIs, are protected. "
    "Fix: set protect: true on them (retainOnDelete is not visible to policies).",
    _check_protect,
    EnforcementLevel.ADVISORY,
    remediation="Set the protect resource option (protect: true in the stack config).",
    severity=Severity.MEDIUM,
)

single_owner_of_roles = StackValidationPolicy(
    name="single-owner-of-roles",
    description="An application's roles are declared in one place: either Application.roles or "
    "ApplicationRoles role sets, and each role in one role set only. Fix: remove roles from the "
    "application or delete the role sets, and keep each role in one ApplicationRoles.",
    validate=_check_single_owner_of_roles,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Remove Application.roles or the ApplicationRoles of that application; move a role "
    "declared by two role sets into one of them.",
)

one_push_credential_per_type = StackValidationPolicy(
    name="one-push-credential-per-type",
    description="At most one PingOne push credential per environment, application and type. Fix: keep one "
    "credential of each type per application and delete the others.",
    validate=_check_one_credential_per_type,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Delete the extra PingOne push credentials, or move them to another application or type.",
)

POLICIES = [
    no_deprecated_fcm,
    callback_url_https,
    callback_authentication,
    apns_production_environment,
    fcm_project_matches_credentials,
    single_owner_of_roles,
    one_push_credential_per_type,
    protect_undeletable,
]

BY_NAME = {p.name: p for p in POLICIES}

DESCRIPTION = (
    "Guardrails for MFA push backends managed with pulumi-mfa-push: no legacy FCM keys, https and "
    "authenticated PowerAuth callbacks, production APNs on production stacks, consistent FCM projects, "
    "one owner per role and one PingOne push credential per type, protected applications."
)
