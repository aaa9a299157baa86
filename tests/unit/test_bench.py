"""The benchmark's generated stack follows the registry: one group declares every resource
type, and every generated object passes its provider's check (no network, no engine)."""

from __future__ import annotations

from pulumi_mfa_push import registry

from bench import direct, stackgen

ENV_ID = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
NATIVE_IDS = ["11111111-2222-4333-8444-555555555555", "66666666-7777-4888-8999-aaaaaaaaaaaa"]


def test_one_group_declares_every_registry_kind() -> None:
    kinds = [k for k in registry.kinds() if not k.migration]
    assert {stackgen.label(kind) for kind, _ in stackgen.PATTERN} == {stackgen.label(k) for k in kinds}
    assert set(stackgen.ARGUMENTS) == {k.token for k in kinds}
    assert [k.token for k in registry.kinds() if k.migration] == ["pingone:LegacyFcmRetirement"]


def test_generated_objects_pass_their_providers_check() -> None:
    spec = stackgen.make_spec(2 * stackgen.GROUP_SIZE, NATIVE_IDS, ENV_ID, stackgen.Material())
    providers = direct.providers()
    assert len({r["name"] for r in spec["resources"]}) == len(spec["resources"])
    for r in spec["resources"]:
        failures = providers[r["kind"]].check({}, direct.direct_props(r)).failures
        assert not failures, (r["name"], [(f.property, f.reason) for f in failures])
    assert stackgen.mix(spec)["powerauth.Callback"] == 4
