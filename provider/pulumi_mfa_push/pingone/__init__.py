"""PingOne: MFA push credentials of native applications, and the retirement of legacy FCM ones."""

from typing import Any

from ..registry import ResourceKind
from .legacy_fcm import LegacyFcmRetirement, legacy_fcm_credentials
from .push_credential import PushCredential


def _look_up_legacy_fcm(args: dict[str, Any]) -> dict[str, Any]:
    """A retirement declared in stack config without `credentialIds` retires what the lookup finds."""
    env, app = args.get("environment_id"), args.get("application_id")
    if args.get("credential_ids") is None and env is not None and app is not None:
        args = args | {"credential_ids": legacy_fcm_credentials(env, app)}
    return args


RESOURCES = (
    ResourceKind(PushCredential, stack_key="pingonePushCredentials"),
    ResourceKind(
        LegacyFcmRetirement,
        stack_key="pingoneLegacyFcmRetirements",
        migration=True,
        stack_lookup=_look_up_legacy_fcm,
    ),
)

__all__ = ["RESOURCES", "LegacyFcmRetirement", "PushCredential", "legacy_fcm_credentials"]
