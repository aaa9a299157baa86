"""Hostile input, table-driven: every PowerAuth argument's bad values fail check() on that
property with words that say the fix, never raise, never echo a secret."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _material import apns_p8, service_account
from pulumi_mfa_push.powerauth.application import ApplicationProvider
from pulumi_mfa_push.powerauth.application_roles import ApplicationRolesProvider
from pulumi_mfa_push.powerauth.callback import CallbackProvider
from pulumi_mfa_push.powerauth.push import ApnsConfigProvider, FcmConfigProvider, HmsConfigProvider

PEM = apns_p8()
SA = service_account("proj-1")
GOOD: dict[type, dict[str, Any]] = {
    ApplicationProvider: {"application_id": "APP", "roles": ["A"], "adopt": False},
    ApplicationRolesProvider: {"application_id": "APP", "roles": ["A"]},
    CallbackProvider: {
        "application_id": "APP",
        "callback_name": "n",
        "type": "OPERATION_STATUS_CHANGE",
        "callback_url": "https://h.example.com/x",
        "attributes": ["userId"],
        "http_basic": {"username": "u", "password": "p"},
    },
    ApnsConfigProvider: {
        "application_id": "APP",
        "topic": "com.x",
        "key_id": "ABCDE12345",
        "team_id": "TEAM123456",
        "environment": "production",
        "private_key": PEM,
    },
    FcmConfigProvider: {"application_id": "APP", "service_account_json": SA},
    HmsConfigProvider: {
        "application_id": "APP",
        "project_id": "p",
        "app_id": "a",
        "client_id": "c",
        "client_secret": "s3cr3t-value",
    },
}

BAD: list[tuple[type, str, Any]] = []
for provider, good in GOOD.items():
    for prop in good:
        for bad in ("", 12, ["x"], {"a": 1}, "x" * 5000, "\u202e\u0000evil"):
            if prop in ("adopt",) and bad in (12,):
                continue
            if prop in ("roles", "attributes") and bad == ["x"]:
                continue
            BAD.append((provider, prop, bad))
BAD += [
    (ApnsConfigProvider, "key_id", "abcde12345"),
    (ApnsConfigProvider, "environment", "staging"),
    (ApnsConfigProvider, "private_key", "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"),
    (ApnsConfigProvider, "private_key", json.loads(SA)["private_key"]),  # an RSA key, not EC P-256
    (FcmConfigProvider, "service_account_json", "{not json"),
    (FcmConfigProvider, "service_account_json", json.dumps({"type": "service_account", "project_id": "p"})),
    (CallbackProvider, "type", "REGISTRATION"),
    (CallbackProvider, "attributes", ["operationType", "activationName"]),
    (CallbackProvider, "callback_url", "javascript:alert(1)"),
    (CallbackProvider, "http_basic", {"username": "u", "password": "p", "extra": 1}),
    (ApplicationProvider, "roles", ["has space"]),
    (ApplicationProvider, "roles", ["R" * 40 + str(i) for i in range(10)]),
    (ApplicationRolesProvider, "roles", []),
]


@pytest.mark.parametrize(
    ("provider", "prop", "bad"), BAD, ids=[f"{p.__name__}-{a}-{i}" for i, (p, a, _) in enumerate(BAD)]
)
def test_bad_value_is_a_named_check_failure(provider: type, prop: str, bad: Any) -> None:
    news = dict(GOOD[provider], **{prop: bad})
    result = provider().check({}, news)
    assert result.failures, f"{prop}={bad!r} was accepted"
    assert any(f.property == prop for f in result.failures), [(f.property, f.reason) for f in result.failures]
    for failure in result.failures:
        assert failure.reason and "Traceback" not in failure.reason
        for secret in (PEM, SA, "s3cr3t-value"):
            assert secret not in failure.reason


@pytest.mark.parametrize("provider", list(GOOD))
def test_good_values_pass_and_unknown_fields_fail(provider: type) -> None:
    assert provider().check({}, dict(GOOD[provider])).failures == []
    result = provider().check({}, dict(GOOD[provider], surprise=1))
    assert [f.property for f in result.failures] == ["surprise"]


@pytest.mark.parametrize("provider", list(GOOD))
def test_missing_required_names_the_property(provider: type) -> None:
    required = [n for n, f in provider.schema.model_fields.items() if f.is_required()]
    for name in required:
        news = {k: v for k, v in GOOD[provider].items() if k != name}
        failures = provider().check({}, news).failures
        assert any(f.property == name and "is required" in f.reason for f in failures)


def test_unknown_values_at_preview_are_not_failures() -> None:
    from pulumi_mfa_push._schema import UNKNOWN

    news = dict(GOOD[CallbackProvider], application_id=UNKNOWN)
    assert CallbackProvider().check({}, news).failures == []


def test_diff_replaces_on_immutable_and_updates_in_place() -> None:
    olds = dict(GOOD[CallbackProvider], callback_id="x", password_set=True)
    p = CallbackProvider()
    d = p.diff("x", olds, dict(GOOD[CallbackProvider], type="REGISTRATION_STATUS_CHANGE"))
    assert d.changes and d.replaces == ["type"]
    d = p.diff("x", olds, dict(GOOD[CallbackProvider], callback_url="https://other.example.com"))
    assert d.changes and not d.replaces
    assert not p.diff("x", olds, dict(GOOD[CallbackProvider])).changes


def test_unmanaged_roles_are_not_a_change() -> None:
    p = ApplicationProvider()
    olds = {"application_id": "APP", "roles": ["A", "B"], "adopt": False}
    assert not p.diff("APP", olds, {"application_id": "APP", "adopt": False}).changes
    assert p.diff("APP", olds, {"application_id": "APP", "roles": ["A"], "adopt": False}).changes


def test_fcm_project_defaults_from_the_json() -> None:
    p = FcmConfigProvider()
    olds = {"application_id": "APP", "service_account_json": SA, "project_id": "proj-1"}
    assert not p.diff("APP/fcm", olds, {"application_id": "APP", "service_account_json": SA}).changes


def test_provider_pickles_small_and_without_credentials() -> None:
    import dill

    blob = dill.dumps(CallbackProvider(), recurse=True)
    assert len(blob) < 300
    assert b"password" not in blob


def test_write_only_secrets_live_in_outputs_as_a_digest() -> None:
    from pulumi_mfa_push._schema import digest

    p = HmsConfigProvider()
    inputs = p.inputs_of(dict(GOOD[HmsConfigProvider]))
    outs = p.outputs(inputs, {})
    assert "client_secret" not in outs and outs["client_secret_sha256"] == digest("s3cr3t-value")
    assert not p.diff("APP/hms", outs, dict(GOOD[HmsConfigProvider])).changes
    changed = p.diff("APP/hms", outs, dict(GOOD[HmsConfigProvider], client_secret="another-secret"))
    assert changed.changes and not changed.replaces
    # State written before digests (the value itself in outputs) still diffs correctly.
    legacy = dict(GOOD[HmsConfigProvider])
    assert not p.diff("APP/hms", legacy, dict(GOOD[HmsConfigProvider])).changes
    assert "client_secret_sha256" in HmsConfigProvider.schema.secret_outputs()
