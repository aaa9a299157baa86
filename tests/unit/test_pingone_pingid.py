"""PingOne push credentials and PingID SDK applications without a server: argument checks,
diffs, PINGID-HMAC signing against a hand-computed vector, and the shared PingOne token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pulumi.dynamic import Config
from pulumi_mfa_push import _settings, _transport
from pulumi_mfa_push._errors import ApiError, ProviderError
from pulumi_mfa_push._schema import UNKNOWN
from pulumi_mfa_push.pingid import _client as pid_client
from pulumi_mfa_push.pingid.application import ApplicationProvider, decode_name, retired_name
from pulumi_mfa_push.pingone import _client as p1_client
from pulumi_mfa_push.pingone import push_credential
from pulumi_mfa_push.pingone.push_credential import PushCredentialProvider

ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
APP = "11111111-2222-4333-8444-555555555555"
PID_APP = "cb869bc1-b136-4698-afce-5e6775333bbc"


# -- key material --------------------------------------------------------------------------


def _pem(key: Any, fmt: serialization.PrivateFormat, password: bytes | None = None) -> str:
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, fmt, enc).decode()  # type: ignore[no-any-return]


EC_KEY = ec.generate_private_key(ec.SECP256R1())
P8 = _pem(EC_KEY, serialization.PrivateFormat.PKCS8)
SEC1 = _pem(EC_KEY, serialization.PrivateFormat.TraditionalOpenSSL)
ENCRYPTED = _pem(EC_KEY, serialization.PrivateFormat.PKCS8, b"pw")
P384 = _pem(ec.generate_private_key(ec.SECP384R1()), serialization.PrivateFormat.PKCS8)
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_P8 = _pem(RSA_KEY, serialization.PrivateFormat.PKCS8)
SERVICE_ACCOUNT = {
    "type": "service_account",
    "project_id": "demo-project",
    "private_key_id": "abc",
    "private_key": RSA_P8,
    "client_email": "firebase-adminsdk@demo-project.iam.gserviceaccount.com",
}
SA_JSON = json.dumps(SERVICE_ACCOUNT)


def apns(**over: Any) -> dict[str, Any]:
    return {
        "environment_id": ENV,
        "application_id": APP,
        "type": "APNS",
        "key": "ABCDE12345",
        "team_id": "TEAM123456",
        "token": P8,
    } | over


def fcm(**over: Any) -> dict[str, Any]:
    return {
        "environment_id": ENV,
        "application_id": APP,
        "type": "FCM_HTTP_V1",
        "google_service_account_credentials": SA_JSON,
    } | over


def hms(**over: Any) -> dict[str, Any]:
    return {
        "environment_id": ENV,
        "application_id": APP,
        "type": "HMS",
        "client_id": "104567893",
        "client_secret": "hms-secret-value",
    } | over


def failures(provider: Any, news: dict[str, Any]) -> dict[str, str]:
    result = provider.check({}, news)
    return {f.property: f.reason for f in result.failures}


P1 = PushCredentialProvider()
PID = ApplicationProvider()


# -- PingOne: check --------------------------------------------------------------------------


@pytest.mark.parametrize("news", [apns(), fcm(), hms()], ids=["APNS", "FCM_HTTP_V1", "HMS"])
def test_valid_credentials_pass(news: dict[str, Any]) -> None:
    assert failures(P1, news) == {}


def test_uuids_are_lowercased() -> None:
    result = P1.check({}, apns(environment_id=ENV.upper(), application_id=APP.upper()))
    assert not result.failures
    assert result.inputs["environment_id"] == ENV and result.inputs["application_id"] == APP


@pytest.mark.parametrize("field", ["environment_id", "application_id"])
@pytest.mark.parametrize(
    ("value", "expect"),
    [
        (None, "is required"),
        ("", "at least 1 character"),
        (123, "valid string"),
        ("not-a-uuid", "must be a UUID"),
        ("{" + APP + "}", "at most 36"),
        (APP.replace("-", ""), "must be a UUID"),
        (APP + "0", "at most 36"),
        ("１１１１１１１１-2222-4333-8444-555555555555", "must be a UUID"),  # full-width digits
        ("g1111111-2222-4333-8444-555555555555", "must be a UUID"),
    ],
)
def test_uuid_arguments(field: str, value: Any, expect: str) -> None:
    news = apns()
    if value is None:
        del news[field]
    else:
        news[field] = value
    assert expect in failures(P1, news)[field]


@pytest.mark.parametrize(
    ("value", "expect"),
    [
        (None, "is required"),
        ("", "at least 1 character"),
        (7, "valid string"),
        (["APNS"], "valid string"),
        ("apns", "did you mean APNS"),
        ("GCM", "must be one of APNS, FCM_HTTP_V1, HMS"),
        ("APNS " * 10, "at most 32"),
        ("ÁPNS", "must be one of"),
    ],
)
def test_type_argument(value: Any, expect: str) -> None:
    news = apns()
    if value is None:
        del news["type"]
    else:
        news["type"] = value
    assert expect in failures(P1, news)["type"]


@pytest.mark.parametrize("value", ["FCM", "fcm"])
def test_legacy_fcm_names_its_replacement(value: str) -> None:
    reason = failures(P1, {"environment_id": ENV, "application_id": APP, "type": value, "key": "server-key"})["type"]
    assert "no longer supported" in reason and "FCM_HTTP_V1" in reason


@pytest.mark.parametrize(
    ("field", "value", "expect"),
    [
        ("key", "", "at least 1 character"),
        ("key", "abcde12345", "10-character APNs key ID"),
        ("key", "ABCDE1234", "10-character APNs key ID"),
        ("key", "ABCDE 1234", "10-character APNs key ID"),
        ("key", "ÄBCDE12345", "10-character APNs key ID"),
        ("key", P8, "goes in `token`"),
        ("key", "A" * 5000, "at most 4096"),
        ("key", 1234567890, "valid string"),
        ("team_id", "", "at least 1 character"),
        ("team_id", "team123456", "team ID"),
        ("team_id", "TEAM1234567", "at most 10"),
        ("team_id", "TEAM12345✓", "team ID"),
        ("token", "", "at least 1 character"),
        ("token", "not a pem", "PEM text of the APNs .p8"),
        ("token", SEC1, "PKCS#8"),
        ("token", ENCRYPTED, "encrypted"),
        ("token", RSA_P8, "EC private key"),
        ("token", P384, "P-256"),
        ("token", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not a readable"),
        ("token", "-----BEGIN PRIVATE KEY-----\nÄÖÜ\n-----END PRIVATE KEY-----", "not a readable"),
        ("token", "x" * 9000, "at most 8192"),
        ("token", {"pem": P8}, "valid string"),
    ],
)
def test_apns_arguments(field: str, value: Any, expect: str) -> None:
    reason = failures(P1, apns(**{field: value}))[field]
    assert expect in reason
    if isinstance(value, str) and len(value) > 3:
        assert value not in reason  # never echoed (the token is a secret)


def test_token_with_surrounding_whitespace_is_accepted() -> None:
    assert failures(P1, apns(token="\n" + P8 + "\n\n")) == {}


@pytest.mark.parametrize(
    ("value", "expect"),
    [
        ("", "at least 1 character"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps(SERVICE_ACCOUNT | {"type": "authorized_user"}), "service_account"),
        (json.dumps({k: v for k, v in SERVICE_ACCOUNT.items() if k != "project_id"}), "lacks project_id"),
        (json.dumps(SERVICE_ACCOUNT | {"private_key": "", "client_email": None}), "lacks private_key, client_email"),
        (json.dumps(SERVICE_ACCOUNT | {"client_email": "nobody"}), "client_email"),
        (json.dumps(SERVICE_ACCOUNT | {"private_key": "-----BEGIN PRIVATE KEY-----\nx\n"}), "private_key"),
        (json.dumps(SERVICE_ACCOUNT | {"padding": "x" * 70000}), "at most 65536"),
        (42, "valid string"),
    ],
)
def test_service_account_argument(value: Any, expect: str) -> None:
    reason = failures(P1, fcm(google_service_account_credentials=value))["google_service_account_credentials"]
    assert expect in reason
    assert "BEGIN PRIVATE KEY" not in reason and "demo-project" not in reason


def test_service_account_keeps_unicode_values() -> None:
    assert (
        failures(
            P1, fcm(google_service_account_credentials=json.dumps(SERVICE_ACCOUNT | {"project_id": "プロジェクト"}))
        )
        == {}
    )


@pytest.mark.parametrize(
    ("field", "value", "expect"),
    [
        ("client_id", "", "at least 1 character"),
        ("client_id", "104 567", "printable ASCII"),
        ("client_id", "１０４", "printable ASCII"),
        ("client_id", "1" * 300, "at most 256"),
        ("client_secret", "", "at least 1 character"),
        ("client_secret", "sec ret", "printable ASCII"),
        ("client_secret", "sécret", "printable ASCII"),
        ("client_secret", "s" * 2000, "at most 1024"),
        ("client_secret", 5, "valid string"),
    ],
)
def test_hms_arguments(field: str, value: Any, expect: str) -> None:
    reason = failures(P1, hms(**{field: value}))[field]
    assert expect in reason
    if field == "client_secret" and isinstance(value, str) and value:
        assert value not in reason


@pytest.mark.parametrize(
    ("news", "missing"),
    [
        ({"environment_id": ENV, "application_id": APP, "type": "APNS"}, {"key", "team_id", "token"}),
        (apns(team_id=None), {"team_id"}),
        ({"environment_id": ENV, "application_id": APP, "type": "FCM_HTTP_V1"}, {"google_service_account_credentials"}),
        (hms(client_secret=None), {"client_secret"}),
        (hms(client_id=None, client_secret=None), {"client_id", "client_secret"}),
    ],
)
def test_fields_required_by_type(news: dict[str, Any], missing: set[str]) -> None:
    found = failures(P1, news)
    assert set(found) == missing
    assert all(f"is required when type is {news['type']}" in r for r in found.values())


@pytest.mark.parametrize(
    ("news", "extra", "owner"),
    [
        (apns(client_id="1"), "client_id", "HMS"),
        (apns(google_service_account_credentials=SA_JSON), "google_service_account_credentials", "FCM_HTTP_V1"),
        (fcm(key="ABCDE12345"), "key", "APNS"),
        (fcm(token=P8), "token", "APNS"),
        (hms(team_id="TEAM123456"), "team_id", "APNS"),
        (
            hms(client_id="1", google_service_account_credentials=SA_JSON),
            "google_service_account_credentials",
            "FCM_HTTP_V1",
        ),
    ],
)
def test_fields_of_another_type_fail_on_that_field(news: dict[str, Any], extra: str, owner: str) -> None:
    found = failures(P1, news)
    assert set(found) == {extra}
    assert f"used only with type {owner}" in found[extra] and f"type is {news['type']}" in found[extra]


def test_unknown_argument_is_named() -> None:
    assert "not an argument" in failures(P1, apns(pem="x"))["pem"]


def test_unknown_values_are_checked_later() -> None:
    assert failures(P1, apns(token=UNKNOWN, environment_id=UNKNOWN)) == {}
    assert failures(P1, {"environment_id": ENV, "application_id": APP, "type": UNKNOWN, "key": "ABCDE12345"}) == {}


# -- PingOne: diff ---------------------------------------------------------------------------


def _outs(news: dict[str, Any]) -> dict[str, Any]:
    return news | {"credential_id": "c", "created_at": "t", "updated_at": "t"}


def test_no_change_no_diff() -> None:
    diff = P1.diff("c", _outs(apns()), apns())
    assert diff.changes is False and not diff.replaces


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("key", "ZZZZZ12345"),
        ("team_id", "ZZZZZ12345"),
        ("token", P8 + "\n"),
        ("environment_id", APP),
        ("application_id", ENV),
    ],
)
def test_every_change_replaces(field: str, value: str) -> None:
    diff = P1.diff("c", _outs(apns()), apns(**{field: value}))
    assert diff.changes is True and diff.replaces == [field]


def test_same_type_in_same_application_deletes_first() -> None:
    assert P1.diff("c", _outs(apns()), apns(key="ZZZZZ12345")).delete_before_replace is True
    assert P1.diff("c", _outs(hms()), hms(client_secret="other")).delete_before_replace is True
    assert P1.diff("c", _outs(apns()), apns(token=UNKNOWN)).delete_before_replace is True


def test_type_change_creates_first() -> None:
    diff = P1.diff("c", _outs(apns()), fcm())
    assert "type" in diff.replaces and diff.delete_before_replace is False
    assert P1.delete_before_replace(apns(), hms()) is False


def test_other_application_creates_first() -> None:
    other = "66666666-7777-4888-8999-aaaaaaaaaaaa"
    assert P1.diff("c", _outs(apns()), apns(application_id=other)).delete_before_replace is False


# -- PingOne: which credential a lost create made ----------------------------------------------

#: The list answer's Date; the first POST left 3 s before it (by the local clock), so with the
#: 1 s tolerance a credential created at 10:00:06 or later is ours.
LIST_DATE = "Mon, 01 Jun 2026 10:00:10 GMT"


def ours_after(
    monkeypatch: pytest.MonkeyPatch, news: dict[str, Any], items: list[dict[str, Any]], date: str = LIST_DATE
) -> dict[str, Any] | None:
    response = httpx.Response(200, headers={"Date": date} if date else {})
    monkeypatch.setattr(push_credential, "_listing", lambda env, app: (response, items))
    inputs = P1.inputs_of(dict(P1.check({}, news).inputs))
    return push_credential._ours(inputs, time.monotonic() - 3.0)


def cred(id_: str, created_at: Any, kind: str = "HMS", **more: Any) -> dict[str, Any]:
    return {"id": id_, "type": kind, "createdAt": created_at, "clientId": "104567893"} | more


def test_a_credential_made_since_the_post_is_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    made = cred("new", "2026-06-01T10:00:06.100Z")
    assert ours_after(monkeypatch, hms(), [made]) == made
    # The newest when the one-per-type rule is off and there are several.
    newer = cred("newer", "2026-06-01T10:00:09.000Z")
    assert ours_after(monkeypatch, hms(), [made, newer, cred("old", "2026-06-01T09:00:00.000Z")]) == newer


@pytest.mark.parametrize(
    "item",
    [
        cred("before", "2026-06-01T10:00:05.800Z"),  # older than the window: someone else's
        cred("other-type", "2026-06-01T10:00:09.000Z", kind="APNS"),
        cred("other-client", "2026-06-01T10:00:09.000Z", clientId="999"),
    ],
)
def test_what_is_not_ours_is_not_adopted(monkeypatch: pytest.MonkeyPatch, item: dict[str, Any]) -> None:
    assert ours_after(monkeypatch, hms(), [item]) is None


@pytest.mark.parametrize("created_at", [None, "", "June", 1780308006, "2026-06-01T10:00:09"])
def test_an_unreadable_created_at_adopts_nothing(monkeypatch: pytest.MonkeyPatch, created_at: Any) -> None:
    with pytest.raises(ProviderError, match="createdAt is missing or unreadable") as err:
        ours_after(monkeypatch, hms(), [cred("what", created_at)])
    assert "what" in str(err.value) and "not adopted" in str(err.value)


@pytest.mark.parametrize("date", ["", "soon", "Mon, 01 Jun 2026 10:00:10"])
def test_no_server_clock_adopts_nothing(monkeypatch: pytest.MonkeyPatch, date: str) -> None:
    with pytest.raises(ProviderError, match="no readable Date header"):
        ours_after(monkeypatch, hms(), [cred("new", "2026-06-01T10:00:09.000Z")], date=date)
    # Nothing of our type: nothing to tell apart, so the create may be sent again.
    assert ours_after(monkeypatch, hms(), [cred("apns", "2026-06-01T10:00:09.000Z", kind="APNS")], date=date) is None


# -- PingID: check and diff -------------------------------------------------------------------


def app(**over: Any) -> dict[str, Any]:
    return {"application_id": PID_APP, "app_name": "Moderno Application", "app_enabled": True} | over


def test_valid_application_and_lowercased_id() -> None:
    result = PID.check({}, app(application_id=PID_APP.upper(), fcm_sender_id="123456789012", fcm_server_key="AAAA:bb"))
    assert not result.failures
    assert result.inputs["application_id"] == PID_APP
    assert result.inputs["adopt"] is False


def test_unicode_names_are_allowed() -> None:
    assert failures(PID, app(app_name="Приложение 🚀 アプリ")) == {}


@pytest.mark.parametrize(
    ("field", "value", "expect"),
    [
        ("application_id", None, "is required"),
        ("application_id", "", "at least 1 character"),
        ("application_id", "cb869bc1", "must be a UUID"),
        ("application_id", 5, "valid string"),
        ("application_id", PID_APP + "-x", "at most 36"),
        ("app_name", None, "is required"),
        ("app_name", "", "at least 1 character"),
        ("app_name", " padded", "leading or trailing spaces"),
        ("app_name", "two\nlines", "line breaks"),
        ("app_name", "bell\x07", "control"),
        ("app_name", "_base64Format_QQ==", "_base64Format_"),
        ("app_name", "x" * 129, "at most 128"),
        ("app_name", ["a"], "valid string"),
        ("app_enabled", "maybe", "valid boolean"),
        ("app_enabled", [True], "valid boolean"),
        ("fcm_sender_id", "", "at least 1 character"),
        ("fcm_sender_id", "sender-1", "numeric FCM sender ID"),
        ("fcm_sender_id", "１２３", "numeric FCM sender ID"),
        ("fcm_sender_id", "1" * 33, "at most 32"),
        ("fcm_server_key", "", "at least 1 character"),
        ("fcm_server_key", "has space", "printable ASCII"),
        ("fcm_server_key", "k" * 1025, "at most 1024"),
        ("adopt", "perhaps", "valid boolean"),
        ("color", "blue", "not an argument"),
    ],
)
def test_application_arguments(field: str, value: Any, expect: str) -> None:
    news = app()
    if value is None:
        news.pop(field, None)
    else:
        news[field] = value
    reason = failures(PID, news)[field]
    assert expect in reason
    if field == "fcm_server_key" and value:
        assert str(value) not in reason


def test_application_id_change_replaces_deleting_first() -> None:
    olds = app() | {"adopt": False, "shared_between_accounts": False}
    diff = PID.diff(PID_APP, olds, app(application_id="0c1a2b3c-4d5e-4f60-8172-93a4b5c6d7e8"))
    assert diff.replaces == ["application_id"] and diff.delete_before_replace is True


@pytest.mark.parametrize(
    ("field", "value"),
    [("app_name", "Renamed"), ("app_enabled", False), ("fcm_server_key", "AAAA:new"), ("fcm_sender_id", "42")],
)
def test_other_changes_update_in_place(field: str, value: Any) -> None:
    olds = app() | {"adopt": False, "shared_between_accounts": False}
    diff = PID.diff(PID_APP, olds, app(**{field: value}))
    assert diff.changes is True and diff.replaces == [] and diff.delete_before_replace is None


def test_console_names_are_decoded() -> None:
    assert decode_name("_base64Format_QXBwbGljYXRpb24x") == "Application1"
    assert decode_name("_base64Format_" + base64.b64encode("Прил".encode()).decode()) == "Прил"
    assert decode_name("_base64Format_!!!") == "_base64Format_!!!"
    assert decode_name("Plain") == "Plain"


def test_retired_name_fits_and_is_marked() -> None:
    from datetime import UTC, datetime

    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert retired_name("My App", when) == "My App (retired 2025-01-02T03:04:05Z)"
    again = retired_name("My App (retired 2024-05-06T07:08:09Z)", when)
    assert again == "My App (retired 2025-01-02T03:04:05Z)"
    long = retired_name("x" * 128, when, "abc123")
    assert len(long) == 128 and long.endswith(" (retired 2025-01-02T03:04:05Z abc123)")


# -- PINGID-HMAC: a vector computed by hand -----------------------------------------------------

ACCOUNT = "f851a4da-1239-4008-9456-8b93279558f2"
API_KEY = b"pingid-unit-test-api-key-32bytes"
BODY = b'{"id":"cb869bc1-b136-4698-afce-5e6775333bbc","name":"Moderno Application","appEnabled":true}'
# sha256sum of BODY, and of the canonical string, computed with coreutils.
BODY_SHA256 = "6006ccba6f7313cdd8fd6c8ac15fbb2b16bf59621cc92fbc3c02dbf2b37bd0ce"
PUT_CANONICAL = f"PUT:sdk.pingid.com:/pingid/v1/accounts/{ACCOUNT}/applications/{PID_APP}:{BODY_SHA256}:"
PUT_DATA = "87306c26852fa660c4ff5ee9e8f9f50b5112981bac70c8f111899f551a76dcca"
GET_CANONICAL = f"GET:sdk.pingid.com:/pingid/v1/accounts/{ACCOUNT}/applications:limit=5::"
GET_DATA = "b6f56d00718dbbf4e1fbcb617ba919e68ab4944d0aa66ab04a725ed5d654142e"


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _check_jws(jws: str, data: str) -> None:
    header_b64, payload_b64, sig_b64 = jws.split(".")
    header = json.loads(_b64url(header_b64))
    assert header == {"alg": "HS256", "typ": "JWT", "account_id": ACCOUNT, "token": "tok", "jwt_version": "v4"}
    assert json.loads(_b64url(payload_b64)) == {"data": data}
    expected = hmac.new(API_KEY, f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
    assert _b64url(sig_b64) == expected


def test_canonical_strings_match_the_vector() -> None:
    assert pid_client.body_hash(BODY) == BODY_SHA256
    assert pid_client.body_hash(b"") == ""
    path = f"/pingid/v1/accounts/{ACCOUNT}/applications/{PID_APP}"
    assert pid_client.canonical("put", "sdk.pingid.com", path, "", BODY_SHA256) == PUT_CANONICAL
    assert hashlib.sha256(PUT_CANONICAL.encode()).hexdigest() == PUT_DATA
    assert hashlib.sha256(GET_CANONICAL.encode()).hexdigest() == GET_DATA


def test_signer_signs_the_request_as_sent() -> None:
    signer = pid_client.Signer(ACCOUNT, "tok", API_KEY)
    client = httpx.Client(base_url="https://sdk.pingid.com:443/pingid/v1")
    put = client.build_request("PUT", f"/accounts/{ACCOUNT}/applications/{PID_APP}", content=BODY)
    signer.sign(put)
    scheme, _, jws = put.headers["Authorization"].partition("=")
    assert scheme == "PINGID-HMAC"
    _check_jws(jws, PUT_DATA)
    get = client.build_request("GET", f"/accounts/{ACCOUNT}/applications", params={"limit": "5"})
    signer.sign(get)
    _check_jws(get.headers["Authorization"].removeprefix("PINGID-HMAC="), GET_DATA)


def _signed_response(request: httpx.Request, body: bytes, status: int = 200, key: bytes = API_KEY) -> httpx.Response:
    text = pid_client.canonical(
        request.method, request.url.host, request.url.path, request.url.query.decode(), pid_client.body_hash(body)
    )
    jws = pid_client.sign(text, ACCOUNT, "tok", key)
    return httpx.Response(status, content=body, headers={"X-PINGID-Signature": jws}, request=request)


def _pingid_client(handler: Callable[[httpx.Request], httpx.Response]) -> pid_client.Client:
    api = _transport.Api(
        "PingID SDK",
        "https://sdk.pingid.com/pingid/v1",
        timeout=5,
        parse_error=pid_client.parse_error,
        deadline=2,
        backoff=0.01,
    )
    api.client = httpx.Client(base_url=api.base_url, transport=httpx.MockTransport(handler))
    return pid_client.Client(api, pid_client.Signer(ACCOUNT, "tok", API_KEY))


def test_signed_answers_are_accepted() -> None:
    client = _pingid_client(lambda r: _signed_response(r, b'{"applications":[]}'))
    assert client.request("GET", "/applications", idempotent=True).json() == {"applications": []}


@pytest.mark.parametrize(
    "respond",
    [
        lambda r: httpx.Response(200, json={"applications": []}),  # no signature
        lambda r: _signed_response(r, b'{"applications":[]}', key=b"another-key-of-thirty-two-bytes!"),
        lambda r: httpx.Response(  # signed over another body
            200,
            content=b'{"applications":[{}]}',
            headers={"X-PINGID-Signature": _signed_response(r, b"{}").headers["X-PINGID-Signature"]},
        ),
        lambda r: httpx.Response(404, json={"code": "NOT_FOUND"}, headers={"X-PINGID-Signature": "garbage"}),
    ],
)
def test_unverifiable_answers_are_refused(respond: Callable[[httpx.Request], httpx.Response]) -> None:
    client = _pingid_client(respond)
    with pytest.raises(ProviderError) as err:
        client.request("GET", "/applications", idempotent=True)
    assert "response signature invalid: the PingID SDK answer could not be verified" in str(err.value)


def test_refused_signature_reads_as_an_auth_error() -> None:
    client = _pingid_client(
        lambda r: httpx.Response(
            401, json={"id": "x", "code": "UNAUTHORIZED_REQ", "message": "The request is not authorized."}
        )
    )
    with pytest.raises(ApiError) as err:
        client.request("GET", "/applications", idempotent=True)
    text = str(err.value)
    assert "HTTP 401 UNAUTHORIZED_REQ" in text and "pingid:apiKey" in text and "\n" not in text
    assert API_KEY.decode() not in text and base64.b64encode(API_KEY).decode() not in text


def test_pingid_error_details() -> None:
    response = httpx.Response(
        400,
        json={
            "id": "1",
            "code": "INVALID_DATA",
            "message": "bad",
            "target": "body",
            "details": [{"code": "UNIQUE_VALUE_REQUIRED", "target": "name", "message": "taken"}, {"code": "X"}],
        },
    )
    assert pid_client.parse_error(response) == ("INVALID_DATA", "bad", "target: body; name: taken; X")
    assert pid_client.error_codes(response) == ["INVALID_DATA", "UNIQUE_VALUE_REQUIRED", "X"]


def test_bad_api_key_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_settings, "_config", {})
    monkeypatch.setattr(_settings, "_stack", None)
    _settings.remember(
        Config({"pingid:accountId": ACCOUNT, "pingid:apiKey": "not base64!!", "pingid:token": "t"}, "mfa-push")
    )
    with pytest.raises(ProviderError, match="pingid:apiKey is not Base64") as err:
        pid_client.api()
    assert "not base64!!" not in str(err.value)


# -- PingOne: errors, endpoints --------------------------------------------------------------------


def test_pingone_error_line() -> None:
    response = httpx.Response(
        400,
        json={
            "id": "e1",
            "code": "INVALID_DATA",
            "message": "The request could not be completed.",
            "details": [
                {"code": "INVALID_VALUE", "target": "token", "message": "token is not a p8 key"},
                {"code": "REQUIRED_VALUE", "target": "teamId", "message": "teamId is required"},
            ],
        },
    )
    err = ApiError("PingOne", "POST", "/x", 400, *p1_client.parse_error(response))
    assert str(err) == (
        "PingOne API: POST /x failed with HTTP 400 INVALID_DATA: The request could not be completed. "
        "(token: token is not a p8 key; teamId: teamId is required)"
    )
    assert p1_client.error_codes(response) == ["INVALID_VALUE", "REQUIRED_VALUE"]
    assert (
        "Client Application Developer" in p1_client.parse_error(httpx.Response(403, json={"code": "ACCESS_FAILED"}))[2]
    )


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], None]:
    monkeypatch.setattr(_settings, "_config", {})
    monkeypatch.setattr(_settings, "_stack", None)
    for var in (
        "PINGONE_REGION_CODE",
        "PINGONE_API_URL",
        "PINGONE_AUTH_URL",
        "PINGONE_ALLOW_INSECURE_HTTP",
        "PINGONE_ENVIRONMENT_ID",
    ):
        monkeypatch.delenv(var, raising=False)

    def set_config(values: dict[str, str]) -> None:
        _settings.update(values)

    return set_config


@pytest.mark.parametrize(
    ("region", "api", "auth"),
    [
        ("NA", "https://api.pingone.com/v1", "https://auth.pingone.com"),
        ("eu", "https://api.pingone.eu/v1", "https://auth.pingone.eu"),
        ("AP", "https://api.pingone.asia/v1", "https://auth.pingone.asia"),
        ("AU", "https://api.pingone.com.au/v1", "https://auth.pingone.com.au"),
        ("CA", "https://api.pingone.ca/v1", "https://auth.pingone.ca"),
        ("SG", "https://api.pingone.sg/v1", "https://auth.pingone.sg"),
    ],
)
def test_regions(config: Callable[[dict[str, str]], None], region: str, api: str, auth: str) -> None:
    config({"pingone:regionCode": region, "pingone:environmentId": ENV.upper()})
    assert p1_client.endpoints() == p1_client.Endpoints(api, auth, ENV)


def test_region_and_url_mistakes(config: Callable[[dict[str, str]], None], monkeypatch: pytest.MonkeyPatch) -> None:
    config({"pingone:regionCode": "US", "pingone:environmentId": ENV})
    with pytest.raises(ProviderError, match="NA, EU, AP, AU, CA, SG"):
        p1_client.endpoints()
    config({"pingone:regionCode": "NA", "pingone:apiUrl": "http://example.com/v1"})
    with pytest.raises(ProviderError, match="plain http to a non-loopback host"):
        p1_client.endpoints()
    config({"pingone:apiUrl": "http://127.0.0.1:9/v1"})
    with pytest.raises(ProviderError, match="pingone:allowInsecureHttp"):
        p1_client.endpoints()
    monkeypatch.setattr(_settings, "_config", {})
    monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", ENV)
    monkeypatch.setenv("PINGONE_REGION_CODE", "CA")
    assert p1_client.endpoints().api_url == "https://api.pingone.ca/v1"


def test_missing_secret_setting_is_named(
    config: Callable[[dict[str, str]], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PINGONE_CLIENT_SECRET", raising=False)
    config({"pingone:environmentId": ENV, "pingone:clientId": "c"})
    with pytest.raises(ProviderError, match="pingone:clientSecret .*--secret.*PINGONE_CLIENT_SECRET"):
        p1_client.api()


# -- PingOne: one token per process -----------------------------------------------------------------


class FakePingOne:
    """Token endpoint and one API route, counting what the client does."""

    def __init__(self, ttl: int = 3600) -> None:
        self.ttl = ttl
        self.issued: list[str] = []
        self.valid: set[str] = set()
        self.calls = 0
        self.reject = False
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            if request.url.path.endswith("/as/token"):
                assert request.headers["Authorization"].startswith("Basic ")
                assert request.content == b"grant_type=client_credentials"
                token = f"tok-{len(self.issued)}"
                self.issued.append(token)
                self.valid.add(token)
                return httpx.Response(200, json={"access_token": token, "token_type": "Bearer", "expires_in": self.ttl})
            self.calls += 1
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if self.reject or token not in self.valid:
                return httpx.Response(
                    401,
                    json={
                        "id": "1",
                        "code": "ACCESS_FAILED",
                        "message": "no",
                        "details": [{"code": "INVALID_TOKEN", "message": "expired"}],
                    },
                )
            return httpx.Response(200, json={"token": token})


@pytest.fixture
def fake() -> Iterator[tuple[FakePingOne, p1_client.TokenSource, _transport.Api]]:
    server = FakePingOne()
    transport = httpx.MockTransport(server)
    auth = _transport.Api(
        "PingOne auth",
        "https://auth.pingone.com",
        timeout=5,
        parse_error=p1_client.parse_error,
        auth=httpx.BasicAuth("id", "secret"),
    )
    auth.client = httpx.Client(base_url=auth.base_url, transport=transport, auth=httpx.BasicAuth("id", "secret"))
    tokens = p1_client.TokenSource(auth, ENV)
    api = _transport.Api("PingOne", "https://api.pingone.com/v1", timeout=5, parse_error=p1_client.parse_error)
    api.client = httpx.Client(base_url=api.base_url, transport=transport, auth=p1_client.BearerAuth(tokens))
    yield server, tokens, api


def test_token_is_reused(fake: tuple[FakePingOne, p1_client.TokenSource, _transport.Api]) -> None:
    server, tokens, api = fake
    for _ in range(5):
        assert api.request("GET", "/environments", idempotent=True).json() == {"token": "tok-0"}
    assert tokens.fetches == 1 and server.issued == ["tok-0"]


def test_token_is_shared_by_threads(fake: tuple[FakePingOne, p1_client.TokenSource, _transport.Api]) -> None:
    server, tokens, api = fake
    threads = [threading.Thread(target=api.request, args=("GET", "/x"), kwargs={"idempotent": True}) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.issued == ["tok-0"] and server.calls == 8


def test_token_renewed_before_expiry(fake: tuple[FakePingOne, p1_client.TokenSource, _transport.Api]) -> None:
    server, tokens, api = fake
    server.ttl = 1  # a quarter of it (0.25 s) is the margin
    api.request("GET", "/x", idempotent=True)
    api.request("GET", "/x", idempotent=True)
    assert server.issued == ["tok-0"]
    time.sleep(0.8)
    assert api.request("GET", "/x", idempotent=True).json() == {"token": "tok-1"}
    assert server.calls == 3  # renewed ahead of time: no refused call


def test_hour_long_token_renewed_a_minute_early(
    fake: tuple[FakePingOne, p1_client.TokenSource, _transport.Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, tokens, api = fake
    now = [1000.0]
    monkeypatch.setattr(p1_client.time, "monotonic", lambda: now[0])
    api.request("GET", "/x", idempotent=True)
    now[0] += 3600 - 61
    api.request("GET", "/x", idempotent=True)
    assert server.issued == ["tok-0"]
    now[0] += 2
    api.request("GET", "/x", idempotent=True)
    assert server.issued == ["tok-0", "tok-1"]


def test_refused_token_refreshed_once_and_call_retried(
    fake: tuple[FakePingOne, p1_client.TokenSource, _transport.Api],
) -> None:
    server, tokens, api = fake
    api.request("GET", "/x", idempotent=True)
    server.valid.clear()  # revoked server-side while still fresh here
    assert api.request("GET", "/x", idempotent=True).json() == {"token": "tok-1"}
    assert server.calls == 3 and tokens.fetches == 2


def test_refused_twice_is_an_error_without_secrets(
    fake: tuple[FakePingOne, p1_client.TokenSource, _transport.Api],
) -> None:
    server, tokens, api = fake
    server.reject = True
    with pytest.raises(ApiError) as err:
        api.request("GET", "/x", idempotent=True)
    text = str(err.value)
    assert "HTTP 401 ACCESS_FAILED" in text and "pingone:clientSecret" in text and "\n" not in text
    assert "tok-" not in text
    assert server.calls == 2 and tokens.fetches == 2  # the call, then one retry with a new token


def test_bad_client_credentials_are_one_clear_line() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"error": "invalid_client", "error_description": "Client authentication failed."}
        )

    auth = _transport.Api("PingOne auth", "https://auth.pingone.com", timeout=5, parse_error=p1_client.parse_error)
    auth.client = httpx.Client(
        base_url=auth.base_url, transport=httpx.MockTransport(refuse), auth=httpx.BasicAuth("id", "very-secret-value")
    )
    with pytest.raises(ProviderError) as err:
        p1_client.TokenSource(auth, ENV).current()
    text = str(err.value)
    assert text.startswith("PingOne refused the worker app's client credentials (HTTP 401 invalid_client")
    assert "pingone:clientSecret" in text and "very-secret-value" not in text and "\n" not in text
