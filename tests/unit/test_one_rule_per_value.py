"""One rule per value, for every API: a setting or an argument that two APIs take is accepted or
refused alike, in the same words; and a mistake inside an argument's object is named there."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from _material import apns_p8, rsa_pem, service_account
from pulumi_mfa_push import _settings
from pulumi_mfa_push._errors import ProviderError
from pulumi_mfa_push.pingid import _client as pingid_client
from pulumi_mfa_push.pingone import _client as pingone_client
from pulumi_mfa_push.pingone.push_credential import PushCredentialProvider
from pulumi_mfa_push.powerauth import _client as powerauth_client
from pulumi_mfa_push.powerauth.callback import CallbackProvider
from pulumi_mfa_push.powerauth.push import ApnsConfigProvider, FcmConfigProvider

# -- <api>:allowInsecureHttp ------------------------------------------------------------------------

SETTINGS = {
    "powerauth:url": "http://127.0.0.1:1/powerauth",
    "powerauth:username": "admin",
    "powerauth:password": "pw",
    "pingone:apiUrl": "http://127.0.0.1:1/pingone/v1",
    "pingone:authUrl": "http://127.0.0.1:1/pingone-auth",
    "pingone:environmentId": "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b",
    "pingone:clientId": "client",
    "pingone:clientSecret": "secret",
    "pingid:url": "http://127.0.0.1:1/pingid/v1",
    "pingid:accountId": "f851a4da-1239-4008-9456-8b93279558f2",
    "pingid:apiKey": "cGluZ2lkLWRldi1hcGkta2V5LTMyLWJ5dGVzLWxvbmc=",
    "pingid:token": "token",
}
#: How each API reads its settings and checks its URL.
APIS: dict[str, Callable[[], object]] = {
    "powerauth": powerauth_client.api,
    "pingone": pingone_client.endpoints,
    "pingid": pingid_client.api,
}


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, str]], None]]:
    monkeypatch.setattr(_settings, "_stack", None)
    monkeypatch.setattr(_settings, "_config", {})
    for name in ("POWERAUTH", "PINGONE", "PINGID"):
        monkeypatch.delenv(f"{name}_ALLOW_INSECURE_HTTP", raising=False)
    yield lambda values: _settings.update(SETTINGS | values)


@pytest.mark.parametrize("api", sorted(APIS))
@pytest.mark.parametrize("value", ["true", "True", "TRUE", " true "])
def test_allow_insecure_http_true_in_any_case_for_every_api(
    settings: Callable[[dict[str, str]], None], api: str, value: str
) -> None:
    settings({f"{api}:allowInsecureHttp": value})
    APIS[api]()  # the plain-http loopback URL is allowed


@pytest.mark.parametrize("api", sorted(APIS))
@pytest.mark.parametrize("value", [None, "false", "FALSE", "False"])
def test_allow_insecure_http_off_refuses_plain_http_for_every_api(
    settings: Callable[[dict[str, str]], None], api: str, value: str | None
) -> None:
    settings({} if value is None else {f"{api}:allowInsecureHttp": value})
    with pytest.raises(ProviderError) as err:
        APIS[api]()
    assert f"set {api}:allowInsecureHttp to true" in str(err.value)


@pytest.mark.parametrize("api", sorted(APIS))
@pytest.mark.parametrize("value", ["yes", "1", "on", "tru", "pw-pasted-here"])
def test_allow_insecure_http_is_true_or_false_for_every_api(
    settings: Callable[[dict[str, str]], None], api: str, value: str
) -> None:
    settings({f"{api}:allowInsecureHttp": value})
    with pytest.raises(ProviderError) as err:
        APIS[api]()
    assert str(err.value) == f"setting {api}:allowInsecureHttp must be true or false"


# -- keys and service-account files: PowerAuth and PingOne --------------------------------------------

ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
APP = "11111111-2222-4333-8444-555555555555"
KEY = apns_p8()
OTHER_KEY = apns_p8()
SA = json.loads(service_account("proj-1"))


def verdict(provider: Any, props: dict[str, Any], prop: str) -> list[str]:
    """What check() says about `prop`, without the property's name and its own description."""
    failures = [f.reason for f in provider.check({}, props).failures if f.property == prop]
    return [re.sub(r"^`[a-z_]+`: | Expected: .*$", "", reason) for reason in failures]


P8_VALUES = {
    "good": KEY,
    "surrounding blank lines": f"\n\n{KEY}\n\n",
    "trailing text": KEY + "and a note\n",
    "leading text": "apns key:\n" + KEY,
    "two keys": KEY + OTHER_KEY,
    "two keys, text between": KEY + "then\n" + OTHER_KEY,
    "not a key": "not a key",
    "RSA": rsa_pem(),
    "cut short": KEY[: len(KEY) // 2] + "-----END PRIVATE KEY-----",
}


@pytest.mark.parametrize("label", sorted(P8_VALUES))
def test_an_apns_key_gets_one_verdict_from_powerauth_and_pingone(label: str) -> None:
    value = P8_VALUES[label]
    powerauth = {
        "application_id": "APP",
        "topic": "com.x",
        "key_id": "ABCDE12345",
        "team_id": "TEAM123456",
        "environment": "PRODUCTION",
        "private_key": value,
    }
    pingone = {
        "environment_id": ENV,
        "application_id": APP,
        "type": "APNS",
        "key": "ABCDE12345",
        "team_id": "TEAM123456",
        "token": value,
    }
    said = verdict(ApnsConfigProvider(), powerauth, "private_key")
    assert said == verdict(PushCredentialProvider(), pingone, "token")
    assert (said == []) == (label in ("good", "surrounding blank lines")), said


SA_VALUES = {
    "good": SA,
    "private_key not a key": SA | {"private_key": "not a key"},
    "private_key with trailing text": SA | {"private_key": SA["private_key"] + "trailing"},
    "private_key holding two keys": SA | {"private_key": SA["private_key"] + rsa_pem()},
    "no client_email": {k: v for k, v in SA.items() if k != "client_email"},
    "not a service account": SA | {"type": "user"},
}


@pytest.mark.parametrize("label", sorted(SA_VALUES))
def test_a_service_account_gets_one_verdict_from_powerauth_and_pingone(label: str) -> None:
    value = json.dumps(SA_VALUES[label])
    powerauth = {"application_id": "APP", "service_account_json": value}
    pingone = {
        "environment_id": ENV,
        "application_id": APP,
        "type": "FCM_HTTP_V1",
        "google_service_account_credentials": value,
    }
    said = verdict(FcmConfigProvider(), powerauth, "service_account_json")
    assert said == verdict(PushCredentialProvider(), pingone, "google_service_account_credentials")
    assert (said == []) == (label == "good"), said


# -- a mistake inside an argument's object ------------------------------------------------------------


@pytest.mark.parametrize(
    ("http_basic", "said"),
    [
        (
            {"username": "hook", "pasword": "pw"},
            "`http_basic.pasword` is not a field of `http_basic`; remove or correct it "
            "(fields of `http_basic`: username, password).",
        ),
        ({"username": ""}, "`http_basic.username`: String should have at least 1 character."),
        ("hook:pw", "`http_basic` must be an object with the fields username, password."),
    ],
)
def test_a_mistake_inside_http_basic_is_named_there(http_basic: Any, said: str) -> None:
    props = {
        "application_id": "APP",
        "callback_name": "n",
        "type": "OPERATION_STATUS_CHANGE",
        "callback_url": "https://hooks.acme.test/pa",
        "http_basic": http_basic,
    }
    [failure] = CallbackProvider().check({}, props).failures
    assert failure.property == "http_basic" and failure.reason.startswith(said), failure.reason
    assert "not an argument of this resource" not in failure.reason and "pw" not in failure.reason
