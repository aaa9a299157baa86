"""The engine's type strings of the resources the policies look at.

Plain constants: importing pulumi_mfa_push here would load the whole library (httpx, pydantic,
cryptography) into the policy pack's process on every preview only to spell these strings.
tests/unit/test_policies.py checks that they are exactly the registry's type strings."""

from __future__ import annotations

_prefix = "pulumi-python:dynamic/"

POWERAUTH_APPLICATION = _prefix + "powerauth:Application"
POWERAUTH_APPLICATION_ROLES = _prefix + "powerauth:ApplicationRoles"
POWERAUTH_CALLBACK = _prefix + "powerauth:Callback"
POWERAUTH_APNS = _prefix + "powerauth:ApnsConfig"
POWERAUTH_FCM = _prefix + "powerauth:FcmConfig"
POWERAUTH_HMS = _prefix + "powerauth:HmsConfig"
PINGONE_PUSH_CREDENTIAL = _prefix + "pingone:PushCredential"
PINGONE_LEGACY_FCM_RETIREMENT = _prefix + "pingone:LegacyFcmRetirement"
PINGID_APPLICATION = _prefix + "pingid:Application"
