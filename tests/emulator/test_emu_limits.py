"""Request bodies: at most 1 MiB (413 in the API's envelope), counted as they arrive, and
credentials checked before a body is read (issue 15, item 8). The tests send a request head that
announces a huge body and only a little of it: the answer must come before the rest is sent."""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

import httpx
from emu_helpers import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, ENV_ID, PA_AUTH, EmulatorServer, get_token
from mfa_push_emulator._crypto import pingid_canonical, pingid_sign

HUGE = 400 * 1024 * 1024
LIMIT = 1024 * 1024


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _answer_before_body(
    server: EmulatorServer,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    chunked: bool = False,
    send: int = 0,
) -> tuple[int, Any]:
    """Announce a 400 MB body (Content-Length, or chunked), send `send` bytes of it, then read the
    answer within 10 s: an emulator still waiting for the body times out here."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUGE}")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        piece = 64 * 1024
        try:
            for _ in range(send // piece):
                data = b"a" * piece
                sock.sendall(f"{piece:x}\r\n".encode() + data + b"\r\n" if chunked else data)
        except OSError:
            pass  # the emulator answered and stopped reading: the answer is still there to read
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 4 + _length(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head_bytes, _, body = answer.partition(b"\r\n\r\n")
    status = int(head_bytes.split(b" ", 2)[1])
    return status, json.loads(body[: _length(answer)]) if body else None


def _length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def test_token_endpoint_without_credentials(server: EmulatorServer) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, body = _answer_before_body(server, "POST", f"/pingone-auth/{ENV_ID}/as/token", form)
    assert status == 413 and body["code"] and "limit" in body["message"]
    # chunked: no length to trust, so the body is counted as it arrives
    status, body = _answer_before_body(
        server, "POST", f"/pingone-auth/{ENV_ID}/as/token", form, chunked=True, send=2 * LIMIT
    )
    assert status == 413


def test_token_endpoint_checks_basic_credentials_before_the_body(server: EmulatorServer) -> None:
    headers = {"Authorization": _basic(CLIENT_ID, "wrong"), "Content-Type": "application/x-www-form-urlencoded"}
    status, body = _answer_before_body(server, "POST", f"/pingone-auth/{ENV_ID}/as/token", headers, chunked=True)
    assert status == 401 and body["error"] == "invalid_client"
    headers["Authorization"] = _basic(CLIENT_ID, CLIENT_SECRET)
    status, _ = _answer_before_body(server, "POST", f"/pingone-auth/{ENV_ID}/as/token", headers)
    assert status == 413


def test_powerauth_authenticates_first(server: EmulatorServer) -> None:
    json_type = {"Content-Type": "application/json"}
    status, body = _answer_before_body(server, "POST", "/powerauth/admin/applications", json_type)
    assert status == 401 and body["responseObject"]["code"] == "HTTP_401"
    authorized = {**json_type, "Authorization": _basic(*PA_AUTH)}
    status, body = _answer_before_body(server, "POST", "/powerauth/admin/applications", authorized)
    assert status == 413 and body["status"] == "ERROR" and body["responseObject"]["code"] == "HTTP_413"
    status, body = _answer_before_body(
        server, "POST", "/powerauth/admin/applications", authorized, chunked=True, send=2 * LIMIT
    )
    assert status == 413 and body["status"] == "ERROR"


def test_pingone_api_authenticates_first(server: EmulatorServer) -> None:
    path = f"/pingone/v1/environments/{ENV_ID}/applications"
    status, body = _answer_before_body(server, "POST", path, {"Content-Type": "application/json"})
    assert status == 401 and body["code"] == "ACCESS_FAILED"
    bearer = {"Content-Type": "application/json", "Authorization": f"Bearer {get_token(server.url)}"}
    status, body = _answer_before_body(server, "POST", path, bearer, chunked=True, send=2 * LIMIT)
    assert status == 413 and body["id"] and body["code"]


def test_pingid_checks_the_key_before_the_body(server: EmulatorServer) -> None:
    path = f"/pingid/v1/accounts/{ACCOUNT_ID}/applications"
    canonical = pingid_canonical("POST", "127.0.0.1", path, "", b"{}")
    wrong_key = base64.b64encode(b"not-the-api-key-of-this-account!").decode()
    forged = {"Authorization": "PINGID-HMAC=" + pingid_sign(canonical, ACCOUNT_ID, "pingid-dev-token", wrong_key)}
    status, body = _answer_before_body(server, "POST", path, forged)
    assert status == 401 and body["code"] == "UNAUTHORIZED_REQ"
    from emu_helpers import API_KEY

    signed = {"Authorization": "PINGID-HMAC=" + pingid_sign(canonical, ACCOUNT_ID, "pingid-dev-token", API_KEY)}
    status, body = _answer_before_body(server, "POST", path, signed)
    assert status == 413 and body["id"]


def test_control_plane_bodies_are_bounded(server: EmulatorServer, http: httpx.Client) -> None:
    status, body = _answer_before_body(server, "PUT", "/_emulator/faults", {"Content-Type": "application/json"})
    assert status == 413 and "limit" in body["error"]
    assert http.get("/_emulator/faults").json()["probability"] == 0


def test_bodies_under_the_limit_still_work_chunked_or_not(pa: httpx.Client) -> None:
    roles = [f"ROLE_{i:06d}" for i in range(60_000)]  # ~840 KB of JSON
    assert pa.post("/admin/applications", json={"id": "BIG", "roles": roles}).status_code == 200
    chunks = (part for part in (b'{"id": "CHUNKED",', b' "roles": ["R"]}'))
    r = pa.post("/admin/applications", content=chunks, headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["roles"] == ["R"]
