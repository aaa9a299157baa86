"""A create whose success answer is spoiled (empty, cut short, a JSON list, undecodable gzip)
after the server made the object: each provider finds what it made instead of failing with a
traceback or creating again, so no orphan is left; reads survive spoiled answers too. The
providers' methods are called directly against the emulator (plain http, a process of this module)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from _harness import Emulator
from pulumi.dynamic import Config
from pulumi_mfa_push import _settings
from pulumi_mfa_push._cache import ReadCache
from pulumi_mfa_push.pingid import _client as pingid_client
from pulumi_mfa_push.pingid.application import ApplicationProvider as PingIdApplicationProvider
from pulumi_mfa_push.pingone import _client as pingone_client
from pulumi_mfa_push.pingone.push_credential import PushCredentialProvider
from pulumi_mfa_push.powerauth import _client as powerauth_client
from pulumi_mfa_push.powerauth.application import ApplicationProvider
from pulumi_mfa_push.powerauth.callback import CallbackProvider

KINDS = ["empty", "truncated", "shape", "gzip"]
PINGID_APP = "5e0b6f0e-8a2c-4b1d-9f3e-7c6d5b4a3f21"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emulator = Emulator.start(tmp_path_factory.mktemp("malformed-answers"), tls=False)
    yield emulator
    emulator.stop()


@pytest.fixture
def fault(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Settings aimed at a fresh emulator; `fault(**settings)` spoils answers from then on."""
    emu.reset()
    monkeypatch.setattr(_settings, "_config", {})
    monkeypatch.setattr(_settings, "_stack", None)
    _settings.remember(Config(emu.config() | emu.secrets(), "mfa-push"))
    monkeypatch.setattr(pingone_client, "_tokens", {})
    for client in (powerauth_client, pingone_client, pingid_client):
        monkeypatch.setattr(client, "reads", ReadCache())
    monkeypatch.setattr("pulumi_mfa_push._transport.sleep", lambda seconds: None)
    yield emu.faults
    emu.no_faults()


def checked(provider: Any, props: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, props)
    assert not result.failures, result.failures
    return dict(result.inputs)


def posts(emu: Emulator, route: str) -> int:
    return int(emu.requests()["byRoute"].get(f"POST {route}", 0))


@pytest.mark.parametrize("kind", KINDS)
def test_powerauth_application(emu: Emulator, fault: Callable[..., None], kind: str) -> None:
    fault(probability=1, answer=kind, methods=["POST"], pathPattern="/admin/applications$")
    created = ApplicationProvider().create(
        checked(ApplicationProvider(), {"application_id": "SPOILT", "roles": ["R1"]})
    )
    emu.no_faults()
    assert created.id == "SPOILT" and created.outs["app_key"] and created.outs["roles"] == ["R1"]
    assert [a["id"] for a in emu.powerauth("GET", "/admin/applications").json()["applications"]] == ["SPOILT"]
    assert posts(emu, "/powerauth/admin/applications") == 1


@pytest.mark.parametrize("kind", KINDS)
def test_powerauth_callback(emu: Emulator, fault: Callable[..., None], kind: str) -> None:
    emu.powerauth("POST", "/admin/applications", json={"id": "CB_APP"}).raise_for_status()
    fault(probability=1, answer=kind, methods=["POST"], pathPattern="/callbacks$")
    props = {
        "application_id": "CB_APP",
        "callback_name": "status",
        "type": "OPERATION_STATUS_CHANGE",
        "callback_url": "https://hooks.example.com/pa",
    }
    created = CallbackProvider().create(checked(CallbackProvider(), props))
    emu.no_faults()
    callbacks = emu.powerauth("GET", "/v2/admin/applications/CB_APP/callbacks").json()["callbacks"]
    assert [c["callbackId"] for c in callbacks] == [created.id] == [created.outs["callback_id"]]
    assert posts(emu, "/powerauth/v2/admin/applications/{appId}/callbacks") == 1


@pytest.mark.parametrize("kind", KINDS)
def test_pingone_push_credential(emu: Emulator, fault: Callable[..., None], kind: str) -> None:
    p1 = emu.info["pingone"]
    env, app = p1["environmentId"], p1["applicationIds"][1]
    fault(probability=1, answer=kind, methods=["POST"], pathPattern="/pushCredentials$")
    props = {
        "environment_id": env,
        "application_id": app,
        "type": "HMS",
        "client_id": "104567893",
        "client_secret": "s",
    }
    created = PushCredentialProvider().create(checked(PushCredentialProvider(), props))
    emu.no_faults()
    listed = emu.pingone("GET", f"/environments/{env}/applications/{app}/pushCredentials").json()
    assert [c["id"] for c in listed["_embedded"]["pushCredentials"]] == [created.id]
    assert posts(emu, "/pingone/v1/environments/{envId}/applications/{appId}/pushCredentials") == 1
    # The next `up` is not stopped by the one-per-type rule: the credential is in the state.
    assert PushCredentialProvider().read(created.id, created.outs).id == created.id


@pytest.mark.parametrize("kind", KINDS)
def test_pingid_application(emu: Emulator, fault: Callable[..., None], kind: str) -> None:
    fault(probability=1, answer=kind, methods=["POST"], pathPattern="/applications$")
    provider = PingIdApplicationProvider()
    created = provider.create(checked(provider, {"application_id": PINGID_APP, "app_name": f"Spoilt {kind}"}))
    emu.no_faults()
    assert created.id == PINGID_APP
    assert posts(emu, "/pingid/v1/accounts/{accountId}/applications") == 1


def test_reads_survive_spoiled_answers(emu: Emulator, fault: Callable[..., None]) -> None:
    """A GET answered with a list or an empty body is sent again, not a crash of `read`."""
    provider = ApplicationProvider()
    created = provider.create(checked(provider, {"application_id": "READ_ME", "roles": ["R1"]}))
    p1 = emu.info["pingone"]
    props = {
        "environment_id": p1["environmentId"],
        "application_id": p1["applicationIds"][1],
        "type": "HMS",
        "client_id": "104567893",
        "client_secret": "s",
    }
    credential = PushCredentialProvider().create(checked(PushCredentialProvider(), props))
    emu.zero()
    fault(probability=0.5, answer=["shape", "empty"], methods=["GET"], seed=4)
    for _ in range(3):
        for client in (powerauth_client, pingone_client):
            client.reads.forget(f"app/{created.id}")
            client.reads.forget(f"{props['environment_id']}/{props['application_id']}")
        assert provider.read(created.id, created.outs).outs["roles"] == ["R1"]
        assert PushCredentialProvider().read(credential.id, credential.outs).id == credential.id
    assert emu.faults_state()["injected"] > 0
