"""The mfa-push policy pack: `pulumi preview --policy-pack policies [--policy-pack-config
policies/config/<stack>.json]` (tools/dev.py passes both). The language host runs
`python policies`, so this directory is on sys.path and the policies live in the package
mfa_push_policies, which tests import: constructing PolicyPack starts the analyzer's gRPC
server and blocks, so it happens only here."""

from mfa_push_policies import DESCRIPTION, PACK_NAME, POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    PACK_NAME,
    policies=POLICIES,
    enforcement_level=EnforcementLevel.ADVISORY,
    description=DESCRIPTION,
    display_name="MFA push backends",
)
