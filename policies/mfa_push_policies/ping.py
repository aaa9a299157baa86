"""Policies on PingOne and PingID SDK resources."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from .props import get, is_set, label
from .resource_types import PINGID_APPLICATION, PINGONE_PUSH_CREDENTIAL
from .runtime import resource_policy


# ---- no-deprecated-fcm ---------------------------------------------------------------------
@resource_policy(
    "no-deprecated-fcm",
    "No legacy FCM server keys: Google shut the legacy FCM API down in 2024. Fix: use PingOne push "
    "credentials of type FCM_HTTP_V1 with a service-account JSON, and remove fcm_server_key / "
    "fcm_sender_id from PingID SDK applications.",
    EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation="PingOne: set type FCM_HTTP_V1 and google_service_account_credentials, remove key. "
    "PingID SDK: remove fcm_server_key and fcm_sender_id.",
)
def no_deprecated_fcm(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == PINGONE_PUSH_CREDENTIAL:
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
