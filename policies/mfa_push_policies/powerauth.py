"""Policies on PowerAuth Cloud resources: callbacks, APNs and FCM configuration."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from .props import UNKNOWN, config_strings, get, label, short, text
from .resource_types import POWERAUTH_APNS, POWERAUTH_CALLBACK, POWERAUTH_FCM
from .runtime import current_stack, resource_policy, string_list_setting

DEFAULT_ALLOWED_INSECURE_HOSTS = ["localhost", "127.0.0.1"]
DEFAULT_PRODUCTION_STACKS = ["prod", "production"]


# ---- callback-url-https --------------------------------------------------------------------
@resource_policy(
    "callback-url-https",
    "PowerAuth callback URLs use https. Fix: change callback_url to an https:// URL (hosts in the "
    "allowedInsecureHosts setting, by default localhost and 127.0.0.1, may use http).",
    EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation="Serve the callback receiver over TLS and set callback_url to its https:// URL.",
    config_schema=string_list_setting(
        "allowedInsecureHosts",
        "Host names (no port) that callback URLs may reach over plain http.",
        DEFAULT_ALLOWED_INSECURE_HOSTS,
    ),
)
def callback_url_https(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != POWERAUTH_CALLBACK:
        return
    url = get(args.props, "callback_url")
    if not isinstance(url, str):
        return  # missing (the provider's check reports it) or not known yet
    allowed = {
        h.lower().strip("[]")
        for h in config_strings(args.get_config(), "allowedInsecureHosts", DEFAULT_ALLOWED_INSECURE_HOSTS)
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
        f"PowerAuth callback {label(args)}: `callback_url` uses {where}, so PowerAuth would send "
        "operation and registration data (and the callback's credentials) unencrypted. Fix: change "
        "`callback_url` to an https:// URL; only for a local test receiver add its host to the policy's "
        f"`allowedInsecureHosts` setting (now: {sorted(allowed)}).",
        None,
    )


# ---- callback-authentication ---------------------------------------------------------------
@resource_policy(
    "callback-authentication",
    "PowerAuth callbacks authenticate with HTTP Basic. Fix: set http_basic {username, password} on the "
    "callback, with the password as a secret.",
    EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set http_basic: {username, password} (password as a secret) and verify it in the receiver.",
)
def callback_authentication(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != POWERAUTH_CALLBACK:
        return
    basic = get(args.props, "http_basic")
    if basic is UNKNOWN:
        return
    username = get(basic, "username") if isinstance(basic, Mapping) else None
    if username is UNKNOWN or text(username):
        return
    report(
        f"PowerAuth callback {label(args)}: `http_basic` is not set, so the receiver cannot tell "
        "PowerAuth's calls from anyone else's. Fix: set `http_basic: {username, password}` on the "
        "callback (store the password as a secret) and check those credentials in the receiver.",
        None,
    )


# ---- apns-production-environment -----------------------------------------------------------
def _is_production(stack: str, patterns: Iterable[str]) -> bool:
    name = stack.lower()
    return any(fnmatch.fnmatchcase(name, p.lower()) for p in patterns)


@resource_policy(
    "apns-production-environment",
    "On production stacks, PowerAuth APNs configuration uses the PRODUCTION environment. Fix: set "
    "environment: PRODUCTION (production stacks are named by the productionStacks setting).",
    EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation="Set environment: PRODUCTION on the APNs configuration of production stacks.",
    config_schema=string_list_setting(
        "productionStacks",
        "Stack names (shell-style patterns such as prod-*, case-insensitive) that are production.",
        DEFAULT_PRODUCTION_STACKS,
    ),
)
def apns_production_environment(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != POWERAUTH_APNS:
        return
    patterns = config_strings(args.get_config(), "productionStacks", DEFAULT_PRODUCTION_STACKS)
    stack = current_stack()
    if not stack or not _is_production(stack, patterns):
        return
    env = get(args.props, "environment")
    if env is UNKNOWN or (isinstance(env, str) and env.strip().upper() == "PRODUCTION"):
        return
    shown = repr(short(env)) if isinstance(env, str) else "not set"
    report(
        f"PowerAuth APNs configuration {label(args)}: `environment` is {shown} on the production stack "
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
    except (ValueError, RecursionError):  # not JSON, or nested too deeply: the provider's check says so
        return None
    value = data.get("project_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


@resource_policy(
    "fcm-project-matches-credentials",
    "A PowerAuth FCM project_id, when set, equals the project_id in its service-account JSON. Fix: remove "
    "project_id or set it to the JSON's project_id.",
    EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation="Remove project_id (the service-account JSON's project is used) or make the two agree.",
)
def fcm_project_matches_credentials(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != POWERAUTH_FCM:
        return
    project = get(args.props, "project_id")
    if not text(project):
        return  # not set: the provider uses the JSON's project_id
    from_json = _json_project(get(args.props, "service_account_json"))
    if from_json is None or from_json == project:
        return  # not known yet, or unreadable (the provider's check reports that)
    # The JSON is secret: its project_id is not repeated here.
    report(
        f"PowerAuth FCM configuration {label(args)}: `project_id` {short(project)!r} differs from the "
        "`project_id` inside `service_account_json` (not shown: the JSON is secret). FCM rejects a token "
        "for a project the service account does not belong to. Fix: remove `project_id` (the JSON's "
        "project is then used) or set it to the JSON's project_id, or use that project's key file.",
        None,
    )
