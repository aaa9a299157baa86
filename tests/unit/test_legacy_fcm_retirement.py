"""Retiring legacy FCM credentials without a server: the retirement's argument checks, its diff
(only ids not retired yet are a change), and what the lookup refuses before any call."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi.output import Unknown
from pulumi_mfa_push._schema import UNKNOWN
from pulumi_mfa_push.pingone import legacy_fcm_credentials
from pulumi_mfa_push.pingone.legacy_fcm import LegacyFcmRetirementProvider

ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
APP = "66666666-7777-4888-8999-aaaaaaaaaaaa"
LEGACY = "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70"
OTHER = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
NEW = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"

P = LegacyFcmRetirementProvider()


def inputs(**over: Any) -> dict[str, Any]:
    return {
        "environment_id": ENV,
        "application_id": APP,
        "credential_ids": [LEGACY],
        "replacement_credential_id": NEW,
    } | over


def failures(props: dict[str, Any]) -> dict[str, str]:
    return {f.property: f.reason for f in P.check({}, props).failures}


def test_valid_arguments_are_normalized() -> None:
    result = P.check({}, inputs(credential_ids=[LEGACY.upper()], application_id=APP.upper()))
    assert result.failures == []
    assert result.inputs["credential_ids"] == [LEGACY] and result.inputs["application_id"] == APP


@pytest.mark.parametrize(
    ("over", "field", "says"),
    [
        ({"credential_ids": ["not-a-uuid"]}, "credential_ids", "UUID"),
        ({"credential_ids": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70"}, "credential_ids", "list"),
        ({"credential_ids": [LEGACY] * 101}, "credential_ids", "100"),
        ({"replacement_credential_id": "x"}, "replacement_credential_id", "UUID"),
        ({"credential_ids": [LEGACY, NEW]}, "credential_ids", "replacement"),
    ],
)
def test_bad_arguments_are_named(over: dict[str, Any], field: str, says: str) -> None:
    assert says in failures(inputs(**over))[field]


def test_missing_arguments_are_named() -> None:
    found = failures({"environment_id": ENV, "application_id": APP})
    assert set(found) == {"credential_ids", "replacement_credential_id"}


# The engine's placeholder, and what the dynamic provider host makes of it (the new credential's
# id at preview, say).
NOT_KNOWN = [UNKNOWN, Unknown()]


@pytest.mark.parametrize("unknown", NOT_KNOWN)
def test_values_not_known_yet_pass_the_preview(unknown: Any) -> None:
    assert failures(inputs(replacement_credential_id=unknown)) == {}
    assert failures(inputs(credential_ids=unknown)) == {}
    assert failures(inputs(credential_ids=[LEGACY, unknown])) == {}
    assert P.check({}, inputs(replacement_credential_id=unknown)).inputs["replacement_credential_id"] is unknown


def state(retired: list[str], **over: Any) -> dict[str, Any]:
    return inputs(**over) | {"retired_credential_ids": retired}


@pytest.mark.parametrize(
    ("olds", "news", "changes", "replaces"),
    [
        # Retired, and the lookup now finds nothing: no change, no perpetual diff.
        (state([LEGACY]), inputs(credential_ids=[]), False, []),
        (state([LEGACY]), inputs(), False, []),
        # A legacy credential not retired yet: an update retires it.
        (state([LEGACY]), inputs(credential_ids=[LEGACY, OTHER]), True, []),
        (state([LEGACY]), inputs(credential_ids=UNKNOWN), True, []),
        (state([LEGACY]), inputs(credential_ids=Unknown()), True, []),
        (state([LEGACY]), inputs(credential_ids=[], replacement_credential_id=Unknown()), False, []),
        # The replacement is a guard, not something to update.
        (state([LEGACY]), inputs(credential_ids=[], replacement_credential_id=OTHER), False, []),
        (state([LEGACY]), inputs(credential_ids=[], replacement_credential_id=UNKNOWN), False, []),
        # Another application is another retirement.
        (state([LEGACY]), inputs(credential_ids=[], application_id=OTHER), True, ["application_id"]),
    ],
)
def test_only_ids_not_retired_yet_are_a_change(
    olds: dict[str, Any], news: dict[str, Any], changes: bool, replaces: list[str]
) -> None:
    result = P.diff("id", olds, news)
    assert result.changes is changes and list(result.replaces or []) == replaces
    if replaces:
        assert result.delete_before_replace is False


def test_destroying_a_retirement_deletes_nothing() -> None:
    P.delete("id", state([LEGACY]))  # no settings, no server: nothing is called


def test_refresh_keeps_the_record() -> None:
    read = P.read("id", state([LEGACY]) | {"__provider": "x"})
    assert read.id == "id" and read.outs == state([LEGACY])


@pytest.mark.parametrize(
    ("env", "app", "says"),
    [
        ("nope", APP, "environment_id must be a UUID"),
        (ENV, 42, "application_id must be a plain string"),
    ],
)
def test_the_lookup_refuses_bad_ids_before_any_call(env: Any, app: Any, says: str) -> None:
    with pytest.raises(pulumi.RunError, match=says):
        legacy_fcm_credentials(env, app)
