"""Bounded fuzz: malformed, wrong-typed, huge and exotic bodies never produce a 5xx or a crash."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
from emu_helpers import ENV_ID, IOS_APP, PA_AUTH, EmulatorServer, PingIdClient, get_token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.just("x" * 70_000),
    st.sampled_from(["", " ", "APNS", "HMS", "FCM", "FCM_HTTP_V1", "ROLE", "https://x.example.com/", "🚀", "é" * 300]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)

RAW_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"str"',
    b'{"id": NaN}',
    b'{"id": "\\ud800"}',
    b'{"name": "\\udfff", "id": "cb869bc1-b136-4698-afce-5e6775333bbc"}',
    b"\xff\xfe\x00",
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
]


def bodies(fields: list[str]) -> st.SearchStrategy[bytes]:
    objects = st.dictionaries(st.sampled_from(fields) | st.text(max_size=10), json_values, max_size=len(fields) + 2)
    return st.one_of(
        objects.map(lambda d: json.dumps(d).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.sampled_from(RAW_BODIES),
        st.binary(max_size=64),
    )


segments = st.one_of(
    st.sampled_from(["MY_APP_01", IOS_APP, "x" * 300, "%00", "..", "cb869bc1-b136-4698-afce-5e6775333bbc"]),
    st.text(min_size=1, max_size=20).map(lambda s: quote(s, safe="")),
)


def _assert_sane(r: httpx.Response) -> Any:
    assert r.status_code < 500, (r.status_code, r.text[:300])
    return r.json()


PA_ROUTES = [
    ("POST", "/admin/applications"),
    ("POST", "/admin/applications/roles"),
    ("POST", "/admin/applications/{id}/roles/remove"),
    ("POST", "/v2/admin/applications/{id}/callbacks"),
    ("PUT", "/v2/admin/applications/{id}/callbacks/{id}"),
    ("POST", "/internal/callback/operation"),
    ("POST", "/admin/applications/{id}/push/apns"),
    ("POST", "/admin/applications/{id}/push/fcm"),
    ("POST", "/admin/applications/{id}/push/hms"),
]
PA_FIELDS = [
    "id", "roles", "name", "type", "callbackUrl", "attributes", "authentication", "operationId", "topic",
    "keyId", "teamId", "environment", "privateKeyBase64", "projectId", "appId", "clientId", "clientSecret",
]  # fmt: skip


@FUZZ
@given(route=st.sampled_from(PA_ROUTES), seg=segments, body=bodies(PA_FIELDS))
def test_fuzz_powerauth(server: EmulatorServer, route: tuple[str, str], seg: str, body: bytes) -> None:
    method, path = route
    with httpx.Client(base_url=f"{server.url}/powerauth", auth=PA_AUTH, timeout=10) as c:
        c.post("/admin/applications", json={"id": "MY_APP_01"})
        r = c.request(method, path.replace("{id}", seg), content=body, headers={"content-type": "application/json"})
        data = _assert_sane(r)
        if r.status_code >= 400:
            assert data["status"] == "ERROR" and data["responseObject"]["code"]


P1_FIELDS = [
    "type",
    "key",
    "teamId",
    "token",
    "googleServiceAccountCredentials",
    "clientId",
    "clientSecret",
    "name",
    "protocol",
]


@FUZZ
@given(
    route=st.sampled_from(["POST creds", "PUT cred", "POST apps", "token"]),
    seg=segments,
    body=bodies(P1_FIELDS),
)
def test_fuzz_pingone(server: EmulatorServer, route: str, seg: str, body: bytes) -> None:
    token = _p1_token(server)
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    api = f"{server.url}/pingone/v1/environments/{ENV_ID}"
    with httpx.Client(timeout=10) as c:
        if route == "token":
            r = c.post(
                f"{server.url}/pingone-auth/{ENV_ID}/as/token",
                content=body,
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            data = _assert_sane(r)
            assert r.status_code in (400, 401) and "error" in data
            return
        if route == "POST creds":
            r = c.post(f"{api}/applications/{IOS_APP}/pushCredentials", content=body, headers=headers)
        elif route == "PUT cred":
            r = c.put(f"{api}/applications/{IOS_APP}/pushCredentials/{seg}", content=body, headers=headers)
        else:
            r = c.post(f"{api}/applications", content=body, headers=headers)
        data = _assert_sane(r)
        if r.status_code >= 400:
            # INVALID_REQUEST: a segment that would steer the request elsewhere (`..`) is refused.
            assert data["code"] in ("INVALID_DATA", "INVALID_REQUEST", "NOT_FOUND", "METHOD_NOT_ALLOWED") and data["id"]


_TOKENS: dict[str, str] = {}


def _p1_token(server: EmulatorServer) -> str:
    if server.url not in _TOKENS:
        _TOKENS[server.url] = get_token(server.url)
    return _TOKENS[server.url]


@FUZZ
@given(
    method=st.sampled_from(["POST", "PUT"]),
    seg=segments,
    body=bodies(["id", "name", "appEnabled", "fcmSenderId", "fcmServerKey"]),
)
def test_fuzz_pingid(server: EmulatorServer, method: str, seg: str, body: bytes) -> None:
    pid = PingIdClient(server.url)
    try:
        url = pid.url() if method == "POST" else pid.url(f"/{seg}")
        r = pid.request(method, url, raw=body)
        data = _assert_sane(r)
        assert r.status_code != 401, r.text  # a correctly signed request is never rejected as unauthorized
        if r.status_code >= 400:
            assert data["code"] in ("INVALID_DATA", "INVALID_REQUEST", "NOT_FOUND", "METHOD_NOT_ALLOWED") and data["id"]
        assert PingIdClient.response_signature_ok(r)
    finally:
        pid.http.close()
