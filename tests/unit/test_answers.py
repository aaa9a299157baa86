"""Every answer is parsed through one checked path: a success answer whose body is empty, cut
short, not JSON, of another shape or undecodable is one line naming the API, the call and what
was wrong (never the body); an idempotent call is sent again, a create is not and reconciles."""

from __future__ import annotations

import http.server
from collections.abc import Iterator

import httpx
import pytest
from _harness import local_http_server
from pulumi_mfa_push import _transport
from pulumi_mfa_push._errors import MalformedAnswer, answer_may_be_lost
from pulumi_mfa_push.pingid import _client as pingid_client
from pulumi_mfa_push.pingone import _client as pingone_client
from pulumi_mfa_push.powerauth import _client as powerauth_client

SECRET = b"s3cr3t-in-body"
GOOD = b'{"id": "A1", "secret": "' + SECRET + b'"}'
#: (headers, body) of success answers that are not what the API sends, and what the error says.
MALFORMED = {
    "empty": ({}, b"", "with an empty body"),
    "truncated": ({}, GOOD[: len(GOOD) // 2], "with a body that is not valid JSON (cut short?)"),
    "array": ({}, b"[" + GOOD + b"]", "with a JSON array where a JSON object was expected"),
    "null": ({}, b"null", "with JSON null where a JSON object was expected"),
    "gzip": ({"Content-Encoding": "gzip"}, b"\x1f\x8b\x08\x00" + GOOD, "with a body that cannot be decoded"),
    "deep": ({}, b'{"a":' * 5000 + b"1" + b"}" * 5000, "with JSON nested too deeply to read"),
    "latin-1": ({}, b'{"id": "\xe9' + SECRET + b'"}', "with a body that is not UTF-8 text"),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    script: list[tuple[int, dict[str, str], bytes]] = []
    seen: list[str] = []

    def _answer(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, headers, body = self.script.pop(0) if self.script else (200, {}, GOOD)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.script = []
    _Handler.seen = []
    with local_http_server(_Handler) as url:
        yield url


def _api(url: str, deadline: float = 5.0) -> _transport.Api:
    return _transport.Api(
        "Test", url, timeout=5, parse_error=lambda r: ("E", "bad", ""), backoff=0.01, deadline=deadline
    )


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_create_answer_is_one_line_and_may_have_been_carried_out(server: str, kind: str) -> None:
    headers, body, said = MALFORMED[kind]
    _Handler.script = [(201, headers, body)]
    with pytest.raises(MalformedAnswer) as err:
        _api(server).call("POST", "/things", json={"name": "x"}, idempotent=False)
    text = str(err.value)
    assert text.startswith("Test API: POST /things answered ") and said in text, text
    assert "\n" not in text and SECRET.decode() not in text and "{" not in text
    assert _Handler.seen == ["POST /things"]  # a create is never sent twice here
    assert answer_may_be_lost(err.value)  # create_once looks for what it made before trying again


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_read_answer_is_sent_again(server: str, kind: str) -> None:
    headers, body, _ = MALFORMED[kind]
    _Handler.script = [(200, headers, body), (200, headers, body)]
    assert _api(server).call("GET", "/things/A1", idempotent=True)["id"] == "A1"
    assert _Handler.seen == ["GET /things/A1"] * 3


def test_a_read_that_stays_malformed_fails_in_one_line_within_its_deadline(server: str) -> None:
    _Handler.script = [(200, {}, b"[]")] * 100
    with pytest.raises(MalformedAnswer) as err:
        _api(server, deadline=0.3).call("GET", "/things", idempotent=True)
    assert (
        str(err.value) == "Test API: GET /things answered HTTP 200 with a JSON array where a JSON object was expected"
    )
    assert 1 < len(_Handler.seen) < 100


def test_required_keys_are_checked(server: str) -> None:
    _Handler.script = [(201, {}, b'{"name": "x", "id": ""}')]
    with pytest.raises(MalformedAnswer) as err:
        _api(server).call("POST", "/things", idempotent=False, require=("id", "name"))
    assert str(err.value) == "Test API: POST /things answered HTTP 201 with an object without id"


def test_error_statuses_a_caller_accepts_are_not_read_as_objects(server: str) -> None:
    _Handler.script = [(409, {}, b"")]
    response, body = _api(server).exchange("POST", "/things", idempotent=False, ok=(201, 409))
    assert response.status_code == 409 and body is None


def test_a_request_whose_answer_is_not_read_ignores_its_body(server: str) -> None:
    _Handler.script = [(200, {}, b"[")]
    assert _api(server).request("PUT", "/things/A1/roles", idempotent=True).status_code == 200


@pytest.mark.parametrize(
    "parse_error", [powerauth_client.parse_error, pingone_client.parse_error, pingid_client.parse_error]
)
@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_error_answers_of_any_shape_are_read_as_far_as_they_go(parse_error: _transport.ErrorParser, kind: str) -> None:
    headers, body, _ = MALFORMED[kind]
    if kind == "gzip":
        return  # an undecodable body fails before any parser sees it (above)
    response = httpx.Response(400, headers=headers | {"Content-Type": "application/json"}, content=body)
    code, message, _details = parse_error(response)
    assert code == "" and message == "Bad Request"


@pytest.mark.parametrize("codes", [powerauth_client.error_codes, pingone_client.error_codes, pingid_client.error_codes])
def test_error_codes_of_a_deeply_nested_answer_are_none(codes: object) -> None:
    response = httpx.Response(400, content=MALFORMED["deep"][1])
    assert codes(response) == []  # type: ignore[operator]
