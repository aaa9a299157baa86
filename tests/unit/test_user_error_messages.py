"""What a new user is told, without the engine: check() asks for the settings of its resource's
API (and only those) once stack config was handed over; refused credentials name the settings to
check. The same errors through the real CLI are in tests/e2e/test_user_errors.py."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pulumi.dynamic import Config
from pulumi_mfa_push import _settings, registry
from pulumi_mfa_push._errors import ApiError, ProviderError, Unreachable
from pulumi_mfa_push._provider import create_once
from pulumi_mfa_push.pingid import _client as pingid_client
from pulumi_mfa_push.pingid import _config as pingid_config
from pulumi_mfa_push.pingone import _client as pingone_client
from pulumi_mfa_push.pingone import _config as pingone_config
from pulumi_mfa_push.powerauth import _client as powerauth_client
from pulumi_mfa_push.powerauth import _config as powerauth_config
from pulumi_mfa_push.powerauth.application import ApplicationProvider

#: Each API's settings (apart from its HTTP client, so that check() never imports the HTTP stack).
CONFIGS = {"powerauth": powerauth_config, "pingone": pingone_config, "pingid": pingid_config}
EVERY_SETTING = [s for config in CONFIGS.values() for s in config.REQUIRED]
APP = {"application_id": "APP", "roles": ["A"], "adopt": False}


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Stack config as the engine hands it to configure(), with no environment fallbacks."""
    monkeypatch.setattr(_settings, "_config", {})
    monkeypatch.setattr(_settings, "_stack", None)
    for setting in EVERY_SETTING:
        if setting.env:
            monkeypatch.delenv(setting.env, raising=False)

    def given(values: dict[str, str]) -> None:
        _settings.remember(Config(values, "mfa-push"))

    return given


@pytest.mark.parametrize("kind", registry.kinds(), ids=lambda k: k.token)
def test_every_resource_asks_for_its_apis_settings(kind: registry.ResourceKind) -> None:
    assert kind.provider.required_settings() == CONFIGS[kind.api].REQUIRED
    assert all(s.key.startswith(f"{kind.api}:") for s in CONFIGS[kind.api].REQUIRED)


def test_missing_settings_are_named_in_one_line_with_the_command(stack: Any) -> None:
    stack({"powerauth:username": "admin"})
    with pytest.raises(ProviderError) as err:
        ApplicationProvider().check({}, dict(APP))
    assert str(err.value) == (
        "missing setting powerauth:url: the PowerAuth Cloud base URL. Set it with "
        "`pulumi config set powerauth:url ...` or the environment variable POWERAUTH_URL; "
        "missing setting powerauth:password: the admin password. Set it with "
        "`pulumi config set powerauth:password ... --secret` or the environment variable POWERAUTH_PASSWORD."
    )


def test_environment_fallbacks_count_and_other_apis_are_not_asked(stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stack({"powerauth:url": "https://pa.example.com", "powerauth:username": "admin"})
    monkeypatch.setenv("POWERAUTH_PASSWORD", "from-the-environment")
    assert ApplicationProvider().check({}, dict(APP)).failures == []


def test_without_stack_config_check_judges_the_inputs_only(stack: Any) -> None:
    # Tools and tests that call check() directly (no engine, no configure()) validate inputs only.
    assert ApplicationProvider().check({}, dict(APP)).failures == []


@pytest.mark.parametrize(
    ("parse_error", "status", "hint"),
    [
        (powerauth_client.parse_error, 401, "check powerauth:username and powerauth:password"),
        (powerauth_client.parse_error, 403, "the admin user (powerauth:username) lacks the rights for this call"),
        (pingone_client.parse_error, 401, "check pingone:clientId, pingone:clientSecret and pingone:environmentId"),
        (pingone_client.parse_error, 403, "the worker app lacks a role"),
        (pingid_client.parse_error, 401, "check pingid:accountId, pingid:apiKey and pingid:token"),
        (pingid_client.parse_error, 403, "check that pingid:accountId, pingid:apiKey and pingid:token belong to"),
    ],
)
def test_refused_credentials_name_the_settings_to_check(parse_error: Any, status: int, hint: str) -> None:
    for response in (httpx.Response(status, json={"code": "X", "message": "no"}), httpx.Response(status)):
        text = str(ApiError("Test", "GET", "/x", status, *parse_error(response)))
        assert hint in text and "\n" not in text


def test_powerauth_401_reads_as_one_line() -> None:
    body = {"status": "ERROR", "responseObject": {"code": "HTTP_401", "message": "Unauthorized"}}
    err = ApiError("PowerAuth", "GET", "/x", 401, *powerauth_client.parse_error(httpx.Response(401, json=body)))
    assert str(err) == (
        "PowerAuth API: GET /x failed with HTTP 401 HTTP_401: Unauthorized "
        "(check powerauth:username and powerauth:password)"
    )


def test_an_unreachable_host_is_not_looked_for_after_a_create() -> None:
    found: list[int] = []

    def post() -> str:
        raise Unreachable("Test API: POST /x could not be completed: connection refused by 127.0.0.1:9")

    with pytest.raises(Unreachable):
        create_once(post, lambda: found.append(1))
    assert found == []
