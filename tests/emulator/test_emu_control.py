"""Control plane: info, faults, counters, reset, settings, loopback guard, crash envelopes, docs."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from emu_helpers import ACCOUNT_ID, API_KEY, CLIENT_ID, CLIENT_SECRET, ENV_ID, PA_AUTH, EmulatorServer, PingIdClient
from mfa_push_emulator import powerauth
from mfa_push_emulator.app import create_app


def test_health_and_info(http: httpx.Client, server: EmulatorServer) -> None:
    assert http.get("/_emulator/health").json() == {"status": "ok"}
    base = server.url
    assert http.get("/_emulator/info").json() == {
        "powerauth": {"baseUrl": f"{base}/powerauth", "username": "admin", "password": "powerauth-dev-password"},
        "pingone": {
            "apiUrl": f"{base}/pingone/v1",
            "authUrl": f"{base}/pingone-auth",
            "environmentId": ENV_ID,
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "applicationIds": ["11111111-2222-4333-8444-555555555555", "66666666-7777-4888-8999-aaaaaaaaaaaa"],
        },
        "pingid": {
            "baseUrl": f"{base}/pingid/v1",
            "accountId": ACCOUNT_ID,
            "apiKey": API_KEY,
            "token": "pingid-dev-token",
        },
        "tls": None,
    }
    # URLs follow the Host the client used
    r = httpx.get(f"http://localhost:{server.port}/_emulator/info")
    assert r.json()["powerauth"]["baseUrl"] == f"http://localhost:{server.port}/powerauth"


def test_counters(http: httpx.Client, pa: httpx.Client, p1: httpx.Client) -> None:
    http.delete("/_emulator/requests")
    pa.post("/admin/applications", json={"id": "A1"})
    pa.get("/admin/applications/A1")
    pa.get("/admin/applications/A2")
    pa.get("/nowhere")
    p1.get("/applications")
    http.get("/_emulator/info")
    http.get("/docs")
    counts = http.get("/_emulator/requests").json()
    assert counts == {
        "total": 5,
        "byRoute": {
            "POST /powerauth/admin/applications": 1,
            "GET /powerauth/admin/applications/{id}": 2,
            "GET /powerauth/nowhere": 1,
            "GET /pingone/v1/environments/{envId}/applications": 1,
        },
        "maxInFlight": 1,  # one call at a time
    }
    assert http.delete("/_emulator/requests").json() == {"total": 0, "byRoute": {}, "maxInFlight": 0}


def test_max_in_flight_counts_calls_served_at_once(http: httpx.Client, pa: httpx.Client) -> None:
    http.put("/_emulator/faults", json={"latencyMs": 300, "probability": 0})
    http.delete("/_emulator/requests")
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda i: pa.get(f"/admin/applications/X{i}"), range(6)))
    assert http.get("/_emulator/requests").json()["maxInFlight"] == 6
    http.delete("/_emulator/faults")


def test_token_endpoint_is_counted(http: httpx.Client, p1: httpx.Client) -> None:
    # the p1 fixture fetched one token after the reset
    assert http.get("/_emulator/requests").json()["byRoute"] == {"POST /pingone-auth/{envId}/as/token": 1}


def test_fault_injection_envelopes(http: httpx.Client, pa: httpx.Client, p1: httpx.Client, pid: PingIdClient) -> None:
    r = http.put("/_emulator/faults", json={"probability": 1, "statuses": [503]})
    assert r.status_code == 200 and r.json()["statuses"] == [503]
    err = pa.get("/admin/applications")
    assert err.status_code == 503 and err.json()["responseObject"]["code"] == "ERROR_INTERNAL_API"

    http.put("/_emulator/faults", json={"probability": 1, "statuses": [429]})
    err = p1.get("/applications")
    assert err.status_code == 429 and err.json()["code"] == "REQUEST_LIMITED" and err.headers["retry-after"] == "1"
    err = pa.get("/admin/applications")
    assert err.status_code == 429 and err.headers["retry-after"] == "1" and err.json()["status"] == "ERROR"

    http.put("/_emulator/faults", json={"probability": 1, "statuses": [500]})
    err = pid.request("GET", pid.url())
    assert err.status_code == 500 and err.json()["code"] == "UNEXPECTED_ERROR" and pid.response_signature_ok(err)
    err = p1.get("/applications")
    assert err.status_code == 500 and err.json()["code"] == "UNEXPECTED_ERROR"
    r = httpx.post(
        f"{pa.base_url}".replace("/powerauth", f"/pingone-auth/{ENV_ID}/as/token"),
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert r.status_code == 500

    # control plane is never faulted
    assert http.get("/_emulator/health").status_code == 200
    snapshot = http.get("/_emulator/faults").json()
    assert snapshot["injected"] == 6 and snapshot["probability"] == 1
    assert set(snapshot) == {
        "probability",
        "statuses",
        "latencyMs",
        "afterCommit",
        "seed",
        "pathPattern",
        "answer",
        "dripBytesPerSecond",
        "methods",
        "injected",
    }

    http.delete("/_emulator/faults")
    assert pa.get("/admin/applications").status_code == 200
    assert http.get("/_emulator/faults").json()["injected"] == 6


def test_faults_are_seeded_and_path_scoped(http: httpx.Client, pa: httpx.Client, p1: httpx.Client) -> None:
    def run() -> list[int]:
        http.put(
            "/_emulator/faults",
            json={"probability": 0.5, "statuses": [500, 503], "seed": 7, "pathPattern": "^/powerauth/admin"},
        )
        return [pa.get("/admin/applications").status_code for _ in range(20)]

    first = run()
    assert first == run()
    assert set(first) == {200, 500, 503}
    assert all(p1.get("/applications").status_code == 200 for _ in range(5))


def test_after_commit_write_happens_response_lost(http: httpx.Client, pa: httpx.Client) -> None:
    http.put("/_emulator/faults", json={"probability": 1, "statuses": [503], "afterCommit": True})
    r = pa.post("/admin/applications", json={"id": "LOST"})
    assert r.status_code == 503
    r = pa.get("/admin/applications/LOST")  # GET simply fails
    assert r.status_code == 503
    http.delete("/_emulator/faults")
    assert pa.get("/admin/applications/LOST").status_code == 200
    # the retry now hits the duplicate
    assert (
        pa.post("/admin/applications", json={"id": "LOST"}).json()["responseObject"]["message"]
        == "Duplicate application"
    )


def test_latency(http: httpx.Client, pa: httpx.Client) -> None:
    http.put("/_emulator/faults", json={"latencyMs": 300})
    start = time.monotonic()
    assert pa.get("/admin/applications").status_code == 200
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    http.get("/_emulator/health")
    assert time.monotonic() - start < 0.3


@pytest.mark.parametrize(
    ("kind", "spoiled"),
    [
        ("empty", lambda body: body == b""),
        ("truncated", lambda body: body.startswith(b'{"id":"SPOILT"') and not body.endswith(b"}")),
        ("shape", lambda body: isinstance(json.loads(body), list) and json.loads(body)[0]["id"] == "SPOILT"),
    ],
)
def test_answer_faults_spoil_success_answers_after_the_write(
    http: httpx.Client, pa: httpx.Client, kind: str, spoiled: Callable[[bytes], bool]
) -> None:
    http.put("/_emulator/faults", json={"probability": 1, "answer": kind, "pathPattern": "^/powerauth/admin/app"})
    r = pa.post("/admin/applications", json={"id": "SPOILT"})
    assert r.status_code == 200 and spoiled(r.content), r.content
    assert r.headers["content-length"] == str(len(r.content))
    # an error answer is left as it is: only success answers are spoiled
    err = pa.get("/admin/applications/NOPE")
    assert err.status_code == 400 and err.json()["responseObject"]["code"] == "ERROR_ADMIN"
    assert http.get("/_emulator/faults").json()["injected"] == 1
    http.delete("/_emulator/faults")
    assert pa.get("/admin/applications/SPOILT").json()["id"] == "SPOILT"  # the write was committed


def test_faults_can_be_scoped_to_methods(http: httpx.Client, pa: httpx.Client) -> None:
    http.put("/_emulator/faults", json={"probability": 1, "answer": "empty", "methods": ["POST"]})
    assert pa.post("/admin/applications", json={"id": "ONLY_POST"}).content == b""
    assert pa.get("/admin/applications/ONLY_POST").json()["id"] == "ONLY_POST"
    assert http.get("/_emulator/faults").json()["methods"] == ["POST"]


def test_gzip_answer_fault_cannot_be_decoded(http: httpx.Client, pa: httpx.Client) -> None:
    http.put("/_emulator/faults", json={"probability": 1, "answer": ["gzip"]})
    with pytest.raises(httpx.DecodingError):
        pa.post("/admin/applications", json={"id": "ZIPPED"})
    assert http.get("/_emulator/faults").json()["answer"] == ["gzip"]
    http.delete("/_emulator/faults")
    assert pa.get("/admin/applications/ZIPPED").status_code == 200


def test_spoiled_pingid_answers_are_signed_as_sent(http: httpx.Client, pid: PingIdClient) -> None:
    http.put("/_emulator/faults", json={"probability": 1, "answer": "truncated"})
    r = pid.request("GET", pid.url())
    assert r.status_code == 200 and r.content and not r.content.endswith(b"}")
    assert pid.response_signature_ok(r)


def test_answer_kinds_are_drawn_from_the_seeded_list(http: httpx.Client, pa: httpx.Client) -> None:
    def run() -> list[int]:
        http.put("/_emulator/faults", json={"probability": 0.5, "answer": ["empty", "shape"], "seed": 3})
        return [len(pa.get("/admin/applications").content) for _ in range(12)]

    first = run()
    assert first == run()
    assert {n for n in first} == {0, len(b'{"applications":[]}'), len(b'[{"applications":[]}]')}


def test_drip_sends_the_answer_slowly_and_whole(http: httpx.Client, pa: httpx.Client) -> None:
    whole = pa.get("/admin/applications").content
    rate = len(whole) * 2  # the whole answer in about half a second, in about ten sends a second
    http.put("/_emulator/faults", json={"probability": 1, "dripBytesPerSecond": rate})
    start = time.monotonic()
    with pa.stream("GET", "/admin/applications") as r:
        chunks = list(r.iter_raw())
    assert time.monotonic() - start >= 0.3
    assert b"".join(chunks) == whole and len(chunks) > 1
    assert http.get("/_emulator/faults").json()["injected"] == 1


def test_fault_validation(http: httpx.Client) -> None:
    for body in (
        {"answer": "garbled"},
        {"answer": []},
        {"answer": ["empty", 1]},
        {"dripBytesPerSecond": 0},
        {"dripBytesPerSecond": True},
        {"dripBytesPerSecond": 1.5},
        {"answer": "empty", "dripBytesPerSecond": 10},
        {"methods": "POST"},
        {"methods": ["post"]},
        {"methods": ["BREW"]},
        {"probability": 2},
        {"statuses": [200]},
        {"statuses": "500"},
        {"latencyMs": -1},
        {"afterCommit": "yes"},
        {"pathPattern": "("},
        {"bogus": 1},
    ):
        r = http.put("/_emulator/faults", json=body)
        assert r.status_code == 400 and r.json()["error"], body
    assert http.put("/_emulator/faults", content=b"{").status_code == 400


def test_settings(http: httpx.Client, pa: httpx.Client) -> None:
    assert http.get("/_emulator/settings").json() == {
        "oneCredentialPerType": True,
        "tokenTtlSeconds": 3600,
        "serviceBaseUrl": "",
    }
    r = http.put("/_emulator/settings", json={"serviceBaseUrl": "https://enroll.example.com/"})
    assert r.json()["serviceBaseUrl"] == "https://enroll.example.com/"
    assert pa.post("/admin/applications", json={"id": "S"}).json()["serviceBaseUrl"] == "https://enroll.example.com/"
    for bad in ({"tokenTtlSeconds": 0}, {"oneCredentialPerType": 1}, {"serviceBaseUrl": 3}, {"nope": True}):
        assert http.put("/_emulator/settings", json=bad).status_code == 400


def test_reset_restores_seed_faults_counters_settings(http: httpx.Client, pa: httpx.Client) -> None:
    pa.post("/admin/applications", json={"id": "GONE"})
    http.put("/_emulator/settings", json={"tokenTtlSeconds": 5})
    http.put("/_emulator/faults", json={"latencyMs": 1})
    assert http.post("/_emulator/reset").json() == {"status": "ok"}
    assert pa.get("/admin/applications").json() == {"applications": []}
    assert http.get("/_emulator/settings").json()["tokenTtlSeconds"] == 3600
    assert http.get("/_emulator/faults").json()["latencyMs"] == 0
    assert http.get("/_emulator/requests").json()["byRoute"] == {"GET /powerauth/admin/applications": 1}


def test_handler_crash_becomes_api_500(pa: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    pa.post("/admin/applications", json={"id": "BOOM"})

    def boom(*_: object) -> None:
        raise RuntimeError("secret-in-message")

    monkeypatch.setattr(powerauth, "_app_detail", boom)
    r = pa.get("/admin/applications/BOOM")
    assert r.status_code == 500
    assert r.json() == {
        "status": "ERROR",
        "responseObject": {"code": "ERROR_GENERIC", "message": "Unknown error occurred while processing request"},
    }


def test_openapi_covers_all_mounts(http: httpx.Client) -> None:
    assert http.get("/docs").status_code == 200
    paths = http.get("/openapi.json").json()["paths"]
    for path in (
        "/powerauth/admin/applications",
        "/powerauth/v2/admin/applications/{appId}/callbacks/{callbackId}",
        "/pingone/v1/environments/{envId}",
        "/pingone/v1/environments/{envId}/applications/{appId}/pushCredentials/{credentialId}",
        "/pingone-auth/{envId}/as/token",
        "/pingid/v1/accounts/{accountId}/applications/{applicationId}",
        "/_emulator/faults",
        "/_emulator/pingone/legacyFcmCredentials",
    ):
        assert path in paths


def test_control_plane_rejects_non_loopback(tmp_path: Path) -> None:
    async def go() -> tuple[int, int]:
        app = create_app(tmp_path)
        remote = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
        local = httpx.ASGITransport(app=app, client=("127.0.0.1", 4000))
        async with httpx.AsyncClient(transport=remote, base_url="http://127.0.0.1") as c:
            denied = (await c.get("/_emulator/info")).status_code
        async with httpx.AsyncClient(transport=local, base_url="http://127.0.0.1", auth=PA_AUTH) as c:
            allowed = (await c.get("/_emulator/info")).status_code
        return denied, allowed

    assert asyncio.run(go()) == (403, 200)
