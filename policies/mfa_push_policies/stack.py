"""Stack policies: rules across resources, judged on every resource's outputs after the resource
policies ran (whose notes of the inputs they saw, `runtime.seen_inputs`, come first)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs

from .props import UNKNOWN, get, short, str_list, text
from .resource_types import PINGONE_PUSH_CREDENTIAL, POWERAUTH_APPLICATION, POWERAUTH_APPLICATION_ROLES
from .runtime import seen_inputs, stack_policy

# ---- single-owner-of-roles -------------------------------------------------------------------
#: Outputs only the provider computes: present in state after a create, absent from the
#: inputs-as-outputs the engine shows in preview for resources to be created or updated.
_APPLICATION_COMPUTED = ("app_key", "service_base_url", "master_server_public_key")


def _declared_roles(resource: PolicyResource) -> list[str] | None | Any:
    """The roles an Application declares: a list (it owns the exact role set), None (it does not
    manage roles) or UNKNOWN (cannot tell)."""
    seen = seen_inputs(resource.urn)
    if seen is not None:
        return seen["roles"]
    props = resource.props
    if any(text(get(props, k)) for k in _APPLICATION_COMPUTED):
        # Real outputs: `roles` is the set read from the server, not a declaration.
        return UNKNOWN
    return str_list(get(props, "roles"))


def _role_set(resource: PolicyResource) -> tuple[Any, Any]:
    seen = seen_inputs(resource.urn)
    if seen is not None:
        return seen["application_id"], seen["roles"]
    return get(resource.props, "application_id"), str_list(get(resource.props, "roles"))


@stack_policy(
    "single-owner-of-roles",
    "An application's roles are declared in one place: either Application.roles or "
    "ApplicationRoles role sets, and each role in one role set only. Fix: remove roles from the "
    "application or delete the role sets, and keep each role in one ApplicationRoles.",
    EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation="Remove Application.roles or the ApplicationRoles of that application; move a role "
    "declared by two role sets into one of them.",
)
def single_owner_of_roles(args: StackValidationArgs, report: ReportViolation) -> None:
    apps: dict[str, list[tuple[PolicyResource, list[str]]]] = {}
    role_sets: dict[str, list[tuple[PolicyResource, list[str]]]] = {}
    for res in args.resources:
        if res.resource_type == POWERAUTH_APPLICATION:
            app_id = text(get(res.props, "application_id"))
            roles = _declared_roles(res)
            if app_id and isinstance(roles, list):
                apps.setdefault(app_id, []).append((res, roles))
        elif res.resource_type == POWERAUTH_APPLICATION_ROLES:
            app_id, roles = _role_set(res)
            if text(app_id) and isinstance(roles, list):
                role_sets.setdefault(app_id, []).append((res, roles))

    for app_id, owners in sorted(apps.items()):
        sets = role_sets.get(app_id, [])
        if not sets:
            continue
        names = ", ".join(repr(r.name) for r, _ in sets)
        for res, _roles in owners:
            report(
                f"PowerAuth application {res.name!r} (application_id {short(app_id)!r}) sets `roles`, its exact "
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
                f"ApplicationRoles {names} of application_id {short(app_id)!r} all declare `roles` "
                f"{sorted(shared_roles)}: deleting one of these role sets removes those roles although the "
                "others still want them. Fix: keep each role in exactly one ApplicationRoles (remove it from the "
                "others' `roles`).",
                holders[-1].urn,
            )


# ---- one-push-credential-per-type ------------------------------------------------------------
@stack_policy(
    "one-push-credential-per-type",
    "At most one PingOne push credential per environment, application and type. Fix: keep one "
    "credential of each type per application and delete the others.",
    EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation="Delete the extra PingOne push credentials, or move them to another application or type.",
)
def one_push_credential_per_type(args: StackValidationArgs, report: ReportViolation) -> None:
    groups: dict[tuple[str, str, str], list[PolicyResource]] = {}
    for res in args.resources:
        if res.resource_type != PINGONE_PUSH_CREDENTIAL:
            continue
        env = text(get(res.props, "environment_id"))
        app = text(get(res.props, "application_id"))
        kind = text(get(res.props, "type"))
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
