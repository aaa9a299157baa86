"""URLs that may hold credentials: a callback URL with user info is refused at check (it would be
stored and shown in plain text), its port is checked and its length is PowerAuth's; no error
message repeats the user info of a URL, whoever wrote the message (the API, httpx, Python)."""

from __future__ import annotations

import sys

import httpx
import pytest
from pulumi_mfa_push import _quiet, _transport
from pulumi_mfa_push._errors import ApiError, ProviderError, without_userinfo
from pulumi_mfa_push.powerauth import _client as powerauth_client
from pulumi_mfa_push.powerauth.callback import CALLBACK_URL_MAX, CallbackProvider

SECRET = "pw-SeCrEt"
CALLBACK = {"application_id": "APP", "callback_name": "n", "type": "OPERATION_STATUS_CHANGE"}


def failures(url: str) -> list[str]:
    result = CallbackProvider().check({}, dict(CALLBACK, callback_url=url))
    return [f"{f.property}: {f.reason}" for f in result.failures]


@pytest.mark.parametrize(
    "url",
    [
        f"https://hook:{SECRET}@hooks.acme.test/pa",
        f"https://hook:{SECRET}@@hooks.acme.test/pa",
        f"https://hook:p@{SECRET}@hooks.acme.test:8443/pa",
        f"https://{SECRET}@hooks.acme.test/pa",
        f"http://:{SECRET}@[::1]:8080/pa",
    ],
)
def test_user_info_in_a_callback_url_is_refused_without_repeating_it(url: str) -> None:
    found = failures(url)
    assert len(found) == 1 and found[0].startswith("callback_url: ") and "http_basic" in found[0], found
    assert SECRET not in found[0] and "hooks.acme.test" not in found[0]


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.acme.test:99999/pa",
        "https://hooks.acme.test:abc/pa",
        "https://hooks.acme.test:0/pa",
        "https://hooks.acme.test:/pa",
        "https://hooks.acme.test:+443/pa",
        "https://[::1/pa",
        "https://hooks.acme.test/pa\n",
        "https://hooks.acme.test/p\ta",
        "https://hooks.acme.test/" + "x" * (CALLBACK_URL_MAX - len("https://hooks.acme.test/") + 1),
    ],
)
def test_bad_ports_whitespace_and_length_are_refused(url: str) -> None:
    found = failures(url)
    assert len(found) == 1 and found[0].startswith("callback_url: "), found
    assert "hooks.acme.test" not in found[0]


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.acme.test/pa",
        "https://hooks.acme.test:8443/pa?x=a@b",
        "http://[::1]:8080/pa",
        "https://hooks.acme.test/" + "x" * (CALLBACK_URL_MAX - len("https://hooks.acme.test/")),
    ],
)
def test_good_callback_urls_pass(url: str) -> None:
    assert failures(url) == []


def test_an_api_error_that_repeats_a_url_does_not_repeat_its_password() -> None:
    api = _transport.Api("PowerAuth", "https://pa.example.com", timeout=1, parse_error=powerauth_client.parse_error)
    body = {
        "status": "ERROR",
        "responseObject": {
            "code": "ERROR_ADMIN",
            "message": f"Invalid callback URL: https://hook:{SECRET}@hooks.acme.test/pa",
            "violations": [{"fieldName": "callbackUrl", "hint": f"see https://u:{SECRET}@h.example.com"}],
        },
    }
    err = api.refused("POST", "/v2/admin/applications/APP/callbacks", httpx.Response(400, json=body))
    assert SECRET not in str(err) and SECRET not in err.message and SECRET not in err.details
    assert "Invalid callback URL: https://hooks.acme.test/pa" in str(err)


def test_no_provider_error_repeats_user_info() -> None:
    assert str(ProviderError(f"x https://a:{SECRET}@h/p y")) == "x https://h/p y"
    assert SECRET not in str(ApiError("T", "GET", "/", 500, "E", f"ftp://{SECRET}@h", f"http://u:{SECRET}@[::1]:1/"))
    assert without_userinfo(f"https://u:p@{SECRET}@h/x@y?q=a@b") == "https://h/x@y?q=a@b"


@pytest.mark.parametrize(
    "url",
    [
        f"https://admin:{SECRET}@pa.example.com:abc/x",
        f"https://admin:{SECRET}@pa.example.com:99999/x",
        f"https://admin:{SECRET}@pa.example.com:0/x",
        f"https://admin:{SECRET}@[::1/x",
    ],
)
def test_a_setting_url_with_a_bad_port_is_one_line_without_its_user_info(url: str) -> None:
    with pytest.raises(ProviderError) as err:
        _transport.check_url("PowerAuth", url, False)
    assert "port" in str(err.value) and SECRET not in str(err.value) and "\n" not in str(err.value)


def test_transport_errors_never_repeat_the_user_info_of_a_url() -> None:
    api = _transport.Api("Test", f"https://admin:{SECRET}@127.0.0.1:1/x", timeout=1, parse_error=lambda r: ("", "", ""))
    exc = httpx.RemoteProtocolError(f"bad answer from https://admin:{SECRET}@127.0.0.1:1/x")
    assert SECRET not in str(api.failed("GET", "/x", exc))


def test_tracebacks_of_bugs_never_repeat_the_user_info_of_a_url() -> None:
    try:
        raise RuntimeError(f"https://admin:{SECRET}@127.0.0.1:1/x")
    except RuntimeError:
        shown = _quiet._Traceback().format_exc()
        assert sys.exc_info()[0] is RuntimeError
    assert "RuntimeError: https://127.0.0.1:1/x" in shown and SECRET not in shown
