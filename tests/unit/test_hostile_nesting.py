"""Hostile nesting: a service-account JSON nested thousands of levels deep is a named check
failure of its property in the resources, and something the policy pack cannot judge (the
provider's check reports it), never a RecursionError traceback at preview."""

from __future__ import annotations

from typing import Any

import mfa_push_policies as mp
import pytest
from pulumi_mfa_push.pingone.push_credential import PushCredentialProvider
from pulumi_mfa_push.powerauth.push import FcmConfigProvider, project_of
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy

DEEP_OBJECT = '{"a":' * 3000 + "1" + "}" * 3000
DEEP_ARRAY = "[" * 3000 + "]" * 3000
#: Deep, and still the service-account file's shape at the top.
DEEP_INSIDE = '{"type": "service_account", "project_id": "p", "x": ' + DEEP_ARRAY + "}"
HOSTILE = [DEEP_OBJECT, DEEP_ARRAY, DEEP_INSIDE]


@pytest.mark.parametrize("value", HOSTILE, ids=["object", "array", "inside"])
def test_powerauth_fcm_check_names_the_property(value: str) -> None:
    result = FcmConfigProvider().check({}, {"application_id": "APP", "project_id": "p", "service_account_json": value})
    assert [f.property for f in result.failures] == ["service_account_json"]
    assert "JSON" in result.failures[0].reason
    assert project_of(value) is None


@pytest.mark.parametrize("value", HOSTILE, ids=["object", "array", "inside"])
def test_pingone_fcm_check_names_the_property(value: str) -> None:
    props = {
        "environment_id": "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b",
        "application_id": "66666666-7777-4888-8999-aaaaaaaaaaaa",
        "type": "FCM_HTTP_V1",
        "google_service_account_credentials": value,
    }
    result = PushCredentialProvider().check({}, props)
    assert [f.property for f in result.failures] == ["google_service_account_credentials"]


@pytest.mark.parametrize("value", HOSTILE, ids=["object", "array", "inside"])
def test_the_policy_pack_leaves_it_to_the_providers_check(value: str) -> None:
    props: dict[str, Any] = {"application_id": "APP", "project_id": "p", "service_account_json": value}
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    urn = f"urn:pulumi:test::mfa-push::{mp.POWERAUTH_FCM}::fcm"
    args = ResourceValidationArgs(mp.POWERAUTH_FCM, unknown_checking_proxy(props), urn, "fcm", options, None, None)
    reported: list[str] = []
    policy = mp.BY_NAME["fcm-project-matches-credentials"]
    assert policy.validate(args, lambda message, urn=None: reported.append(message)) is None
    assert reported == []
