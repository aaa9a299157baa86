"""The one rule for creates the server does not deduplicate: after an answer that may be lost,
look for what was made before sending again; back off between attempts; never create twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pulumi_mfa_push._errors import ApiError, TransportFailure
from pulumi_mfa_push._provider import CREATE_ATTEMPTS, create_once

LOST = ApiError("Test", "POST", "/things", 503)
REFUSED = ApiError("Test", "POST", "/things", 409, "CONFLICT")


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between attempts (they go through `_transport.sleep`, which tests patch)."""
    waited: list[float] = []
    monkeypatch.setattr("pulumi_mfa_push._transport.sleep", waited.append)
    return waited


def scripted(*outcomes: Any) -> tuple[Callable[[], Any], list[int]]:
    """A callable that raises or returns each outcome in turn, counting its calls."""
    calls = [0]

    def call() -> Any:
        outcome = outcomes[min(calls[0], len(outcomes) - 1)]
        calls[0] += 1
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return call, calls


def test_a_created_object_is_returned_without_looking(sleeps: list[float]) -> None:
    post, posts = scripted("made")
    find, finds = scripted(None)
    assert create_once(post, find) == "made"
    assert (posts[0], finds[0], sleeps) == (1, 0, [])


def test_a_lost_answer_finds_what_was_made(sleeps: list[float]) -> None:
    post, posts = scripted(TransportFailure("timed out"), "made again")
    find, finds = scripted("made")
    assert create_once(post, find) == "made"
    assert (posts[0], finds[0], sleeps) == (1, 1, [])


def test_nothing_found_is_sent_again_after_a_backoff(sleeps: list[float]) -> None:
    post, posts = scripted(LOST, LOST, "made")
    find, finds = scripted(None)
    assert create_once(post, find) == "made"
    assert (posts[0], finds[0], sleeps) == (3, 2, [2.0, 4.0])


def test_attempts_are_bounded(sleeps: list[float]) -> None:
    post, posts = scripted(LOST)
    find, finds = scripted(None)
    with pytest.raises(ApiError) as err:
        create_once(post, find)
    assert err.value is LOST
    assert posts[0] == finds[0] == CREATE_ATTEMPTS
    assert sleeps == [min(2.0**n, 8.0) for n in range(1, CREATE_ATTEMPTS)]


def test_a_first_refusal_is_the_callers(sleeps: list[float]) -> None:
    post, posts = scripted(REFUSED)
    find, finds = scripted("made")
    with pytest.raises(ApiError) as err:
        create_once(post, find)
    assert err.value is REFUSED and (posts[0], finds[0]) == (1, 0)


def test_a_refused_retry_finds_what_an_earlier_attempt_made(sleeps: list[float]) -> None:
    post, posts = scripted(LOST, REFUSED)
    find, finds = scripted(None, "made")
    assert create_once(post, find) == "made"
    assert (posts[0], finds[0], sleeps) == (2, 2, [2.0])


def test_a_refused_retry_with_nothing_found_is_raised(sleeps: list[float]) -> None:
    post, posts = scripted(LOST, REFUSED)
    find, finds = scripted(None)
    with pytest.raises(ApiError) as err:
        create_once(post, find)
    assert err.value is REFUSED and (posts[0], finds[0]) == (2, 2)


def test_find_may_explain_better(sleeps: list[float]) -> None:
    post, _ = scripted(LOST)
    find, _ = scripted(ValueError("someone else's object has this id"))
    with pytest.raises(ValueError, match="someone else's"):
        create_once(post, find)
