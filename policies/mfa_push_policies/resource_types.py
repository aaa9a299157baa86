"""The engine's type strings of the resources the policies look at, taken from the resource
registry of pulumi_mfa_push (the pack runs in the project's virtualenv, which has it). A type
that leaves the registry fails the pack's import instead of silently matching nothing."""

from __future__ import annotations

from pulumi_mfa_push import registry


def _type_token(token: str) -> str:
    return registry.by_token(token).type_token


POWERAUTH_APPLICATION = _type_token("powerauth:Application")
POWERAUTH_APPLICATION_ROLES = _type_token("powerauth:ApplicationRoles")
POWERAUTH_CALLBACK = _type_token("powerauth:Callback")
POWERAUTH_APNS = _type_token("powerauth:ApnsConfig")
POWERAUTH_FCM = _type_token("powerauth:FcmConfig")
POWERAUTH_HMS = _type_token("powerauth:HmsConfig")
PINGONE_PUSH_CREDENTIAL = _type_token("pingone:PushCredential")
PINGONE_LEGACY_FCM_RETIREMENT = _type_token("pingone:LegacyFcmRetirement")
PINGID_APPLICATION = _type_token("pingid:Application")
