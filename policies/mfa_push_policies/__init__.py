"""The mfa-push policies, importable without starting the policy pack's gRPC server.

`policies/__main__.py` hands `POLICIES` to `PolicyPack`; unit tests import this package and call
`policy.validate(args, report)` directly. Each module declares its policies next to their checks:

- `powerauth`: callback-url-https, callback-authentication, apns-production-environment,
  fcm-project-matches-credentials
- `ping`: no-deprecated-fcm (PingOne credentials, PingID SDK applications; names, without
  blocking, the legacy FCM credentials a LegacyFcmRetirement deletes)
- `protect`: protect-undeletable (PowerAuth and PingID SDK applications)
- `stack`: the stack policies single-owner-of-roles and one-push-credential-per-type
- `props`: reading props that may be unknown during preview; `runtime`: the stack name, the
  inputs resource policies saw, `advise` (an advisory diagnostic from any policy), and the
  `resource_policy` / `stack_policy` decorators;
  `resource_types`: the engine's type strings, from the pulumi_mfa_push registry.

What the policies see (pulumi-policy 1.21, engine 3.27x): resource policies get the checked
inputs, stack policies every resource's outputs (see `runtime` for what that means for roles, the
stack name and `retain_on_delete`). Messages never contain secret values: they name properties and
non-secret ids only.
"""

from __future__ import annotations

from pulumi_policy import Policy

from .ping import no_deprecated_fcm
from .powerauth import (
    apns_production_environment,
    callback_authentication,
    callback_url_https,
    fcm_project_matches_credentials,
)
from .protect import protect_undeletable
from .resource_types import (
    PINGID_APPLICATION,
    PINGONE_LEGACY_FCM_RETIREMENT,
    PINGONE_PUSH_CREDENTIAL,
    POWERAUTH_APNS,
    POWERAUTH_APPLICATION,
    POWERAUTH_APPLICATION_ROLES,
    POWERAUTH_CALLBACK,
    POWERAUTH_FCM,
    POWERAUTH_HMS,
)
from .runtime import forget_seen_inputs
from .stack import one_push_credential_per_type, single_owner_of_roles

__all__ = [
    "BY_NAME",
    "DESCRIPTION",
    "PACK_NAME",
    "PINGID_APPLICATION",
    "PINGONE_LEGACY_FCM_RETIREMENT",
    "PINGONE_PUSH_CREDENTIAL",
    "POLICIES",
    "POWERAUTH_APNS",
    "POWERAUTH_APPLICATION",
    "POWERAUTH_APPLICATION_ROLES",
    "POWERAUTH_CALLBACK",
    "POWERAUTH_FCM",
    "POWERAUTH_HMS",
    "forget_seen_inputs",
]

PACK_NAME = "mfa-push-policies"

POLICIES: list[Policy] = [
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
