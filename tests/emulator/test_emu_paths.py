"""Ids that would steer a request to another object are refused, not routed (raw paths, as a
client that does not normalise would send them)."""

from __future__ import annotations

import base64
import http.client
from urllib.parse import urlsplit

import httpx
import pytest
from emu_helpers import PA_AUTH, EmulatorServer

STEERING = [
    "/powerauth/admin/applications/%2e%2e/roles/remove",
    "/powerauth/admin/applications/..",
    "/powerauth/admin/applications/DEMO%2Fpush",
    "/powerauth/admin/applications/DEMO%2fpush",
    "/powerauth/admin/applications/DEMO%5Cpush",
    "/powerauth/v2/admin/applications/A%2Fcallbacks%2Fx/callbacks",
    "/pingone/v1/environments/%2E%2E/applications",
    "/pingid/v1/accounts/x/applications/..%2F..",
]


def _raw_get(server: EmulatorServer, path: str) -> int:
    url = urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    token = base64.b64encode(f"{PA_AUTH[0]}:{PA_AUTH[1]}".encode()).decode()
    conn.request("GET", path, headers={"Authorization": f"Basic {token}"})
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.parametrize("path", STEERING)
def test_steering_paths_are_refused(server: EmulatorServer, path: str) -> None:
    assert _raw_get(server, path) == 400


def test_encoded_id_characters_are_data_not_routing(server: EmulatorServer, pa: httpx.Client) -> None:
    # `?` and `#` encoded in a segment are part of the id: an unknown application, not a query.
    for path in ("/powerauth/admin/applications/A%3Fx", "/powerauth/admin/applications/A%23x"):
        assert _raw_get(server, path) in (400, 404)


@pytest.mark.parametrize("app_id", ["../x", "A/b", "A b", "..", ".", "A%b", "A\u2215b", "A#b", "A?b"])
def test_unsafe_application_ids_cannot_be_created(pa: httpx.Client, app_id: str) -> None:
    response = pa.post("/admin/applications", json={"id": app_id, "roles": []})
    assert response.status_code == 400
    assert response.json()["responseObject"]["violations"][0]["fieldName"] == "id"
