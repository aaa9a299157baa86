"""Policies on PingOne and PingID SDK resources."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from .props import UNKNOWN, get, is_set, label, str_list, text
from .resource_types import PINGID_APPLICATION, PINGONE_LEGACY_FCM_RETIREMENT, PINGONE_PUSH_CREDENTIAL
from .runtime import advise, resource_policy


# ---- no-deprecated-fcm ---------------------------------------------------------------------
@resource_policy(
    "no-deprecated-fcm",
    "No legacy FCM server keys: Google shut the legacy FCM API down in 2024. Fix: use PingOne push "
    "credentials of type FCM_HTTP_V1 with a service-account JSON, and remove fcm_server_key / "
    "fcm_sender_id from PingID SDK applications.",
    EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation="PingOne: set type FCM_HTTP_V1 and google_service_account_credentials, remove key; "
    "retire existing FCM credentials with pingone.LegacyFcmRetirement. "
    "PingID SDK: remove fcm_server_key and fcm_sender_id.",
)
def no_deprecated_fcm(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == PINGONE_LEGACY_FCM_RETIREMENT:
        # Legacy credentials the program found, on their way out: named (advisory), never blocked.
        ids = str_list(get(args.props, "credential_ids"))
        if ids is UNKNOWN or not ids:
            return
        app = text(get(args.props, "application_id")) or "(not known yet)"
        env = text(get(args.props, "environment_id")) or "(not known yet)"
        replacement = text(get(args.props, "replacement_credential_id"))
        after = f"FCM_HTTP_V1 credential {replacement}" if replacement else "its FCM_HTTP_V1 replacement"
        advise(
            f"PingOne application {app} (environment {env}) still has legacy FCM push credential(s) "
            f"{', '.join(ids)}: LegacyFcmRetirement {label(args)} deletes them once {after} exists."
        )
    elif args.resource_type == PINGONE_PUSH_CREDENTIAL:
        kind = get(args.props, "type")
        if isinstance(kind, str) and kind.strip().upper() == "FCM":
            report(
                f"PingOne push credential {label(args)}: `type` is FCM, Google's legacy FCM server-key API, "
                "which was shut down in 2024. Fix: set `type: FCM_HTTP_V1` with "
                "`google_service_account_credentials` (the Firebase service-account JSON, as a secret) and "
                "remove `key`.",
                None,
            )
    elif args.resource_type == PINGID_APPLICATION:
        legacy = [p for p in ("fcm_server_key", "fcm_sender_id") if is_set(get(args.props, p))]
        if legacy:
            props = " and ".join(f"`{p}`" for p in legacy)
            report(
                f"PingID SDK application {label(args)} sets {props}: the legacy FCM server-key API that "
                "Google shut down in 2024. Fix: remove `fcm_server_key` and `fcm_sender_id` from the "
                "application and configure Android push with FCM HTTP v1 (service-account) credentials "
                "instead.",
                None,
            )
