"""The mfa-push policy pack: `pulumi preview --policy-pack policies [--policy-pack-config
policies/config/<stack>.json]` (tools/dev.py passes both). The policies live in
mfa_push_policies.py so tests can import them: constructing PolicyPack starts the analyzer's
gRPC server and blocks, so it happens only here."""

from mfa_push_policies import DESCRIPTION, PACK_NAME, POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    PACK_NAME,
    policies=POLICIES,
    enforcement_level=EnforcementLevel.ADVISORY,
    description=DESCRIPTION,
    display_name="MFA push backends",
)
