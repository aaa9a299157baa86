"""A web page cannot drive the emulator: foreign Host names are refused on every route (DNS
rebinding), foreign Origins on every route that is not a vendor API (issue 15, item 7)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from emu_helpers import PA_AUTH, EmulatorServer, PingIdClient
from mfa_push_emulator import cli
from mfa_push_emulator._guard import host_name, is_loopback
from mfa_push_emulator.app import create_app

EVIL = "https://evil.example"


def test_a_cross_site_reset_is_refused_and_wipes_nothing(server: EmulatorServer, pa: httpx.Client) -> None:
    assert pa.post("/admin/applications", json={"id": "KEPT"}).status_code == 200
    # What a page's <form method=post enctype=text/plain> sends: no preflight, an Origin.
    r = httpx.post(
        f"{server.url}/_emulator/reset", content=b"x=y", headers={"Content-Type": "text/plain", "Origin": EVIL}
    )
    assert r.status_code == 403 and "Origin" in r.json()["error"]
    assert pa.get("/admin/applications/KEPT").status_code == 200
    for method, path in (("GET", "/_emulator/info"), ("PUT", "/_emulator/faults"), ("GET", "/openapi.json")):
        assert httpx.request(method, f"{server.url}{path}", headers={"Origin": EVIL}).status_code == 403, path
    assert httpx.get(f"{server.url}/_emulator/info", headers={"Origin": "null"}).status_code == 403


def test_loopback_origins_may_use_the_control_plane(server: EmulatorServer) -> None:
    for origin in (f"http://localhost:{server.port}", "http://127.0.0.1:3000", "https://[::1]"):
        r = httpx.get(f"{server.url}/_emulator/health", headers={"Origin": origin})
        assert r.status_code == 200, origin


def test_api_routes_take_any_origin(server: EmulatorServer) -> None:
    # The APIs are called by their own clients with credentials; an Origin changes nothing there.
    r = httpx.get(f"{server.url}/powerauth/admin/applications", auth=PA_AUTH, headers={"Origin": EVIL})
    assert r.status_code == 200


def test_a_foreign_host_gets_no_credentials(server: EmulatorServer) -> None:
    # DNS rebinding: the page's own name now resolves to 127.0.0.1, and its requests carry it.
    for host in ("evil.example", f"evil.example:{server.port}", "localhost.evil.example", "127.0.0.1.nip.io"):
        r = httpx.get(f"{server.url}/_emulator/info", headers={"Host": host})
        assert r.status_code == 403, host
        assert "powerauth-dev-password" not in r.text and "pingone-dev-client-secret" not in r.text
    r = httpx.get(f"{server.url}/powerauth/admin/applications", auth=PA_AUTH, headers={"Host": "evil.example"})
    assert r.status_code == 403 and r.json()["status"] == "ERROR" and "Host" in r.json()["responseObject"]["message"]
    token = httpx.post(
        f"{server.url}/pingone-auth/a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b/as/token",
        data={"grant_type": "client_credentials"},
        auth=("7f3e2d1c-0b9a-4c8d-8e7f-6a5b4c3d2e1f", "pingone-dev-client-secret"),
        headers={"Host": "evil.example"},
    )
    assert token.status_code == 403 and "access_token" not in token.text


def test_a_foreign_host_on_pingid_is_refused_and_signed(server: EmulatorServer) -> None:
    pid = PingIdClient(server.url.replace("127.0.0.1", "localhost"))
    ok = pid.request("GET", pid.url())
    assert ok.status_code == 200
    pid.http.headers["Host"] = "evil.example"
    r = pid.request("GET", pid.url())
    assert r.status_code == 403 and r.json()["code"] and r.headers["x-pingid-signature"]
    pid.http.close()


def test_loopback_hosts_are_served(server: EmulatorServer) -> None:
    for host in (
        f"127.0.0.1:{server.port}",
        f"localhost:{server.port}",
        "LOCALHOST",
        f"[::1]:{server.port}",
        "127.1.2.3",
    ):
        assert httpx.get(f"{server.url}/_emulator/health", headers={"Host": host}).status_code == 200, host


@pytest.mark.parametrize(
    ("value", "name", "loopback"),
    [
        ("127.0.0.1:8787", "127.0.0.1", True),
        ("LocalHost.:8787", "localhost", True),
        ("[::1]:8787", "::1", True),
        ("::1", "::1", True),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1", True),
        ("evil.example", "evil.example", False),
        ("192.168.1.5:8787", "192.168.1.5", False),
        ("0.0.0.0", "0.0.0.0", False),
    ],
)
def test_host_names(value: str, name: str, loopback: bool) -> None:
    assert host_name(value) == name and is_loopback(name) is loopback


def test_hosts_the_user_names_are_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.ALLOW_HOSTS_ENV, "from-env.test, other.test")
    args = cli._parser().parse_args(
        ["serve", "--host", "192.0.2.7", "--allow-host", "emu.test", "--allow-host", "Named.Test:8787"]
    )
    allowed = cli.allowed_hosts(args)

    async def go() -> dict[str, int]:
        app = create_app(tmp_path, allowed_hosts=allowed)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4000))
        results = {}
        async with httpx.AsyncClient(transport=transport) as c:
            for host in ("emu.test", "named.test", "from-env.test", "other.test", "192.0.2.7", "evil.example"):
                results[host] = (await c.get(f"http://{host}:8787/_emulator/health")).status_code
            origin = await c.get("http://emu.test/_emulator/health", headers={"Origin": "http://emu.test:8787"})
            results["origin emu.test"] = origin.status_code
        return results

    assert asyncio.run(go()) == {
        "emu.test": 200,
        "named.test": 200,
        "from-env.test": 200,
        "other.test": 200,
        "192.0.2.7": 200,  # --host names one address: clients use it
        "evil.example": 403,
        "origin emu.test": 200,
    }
    wildcard = cli._parser().parse_args(["serve", "--host", "0.0.0.0"])
    monkeypatch.delenv(cli.ALLOW_HOSTS_ENV)
    assert cli.allowed_hosts(wildcard) == []
