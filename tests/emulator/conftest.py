"""Real-HTTP fixtures: the emulator runs in uvicorn on a free loopback port with a tmp data dir."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from emu_helpers import ENV_ID, PA_AUTH, EmulatorServer, PingIdClient, get_token


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    srv = EmulatorServer(tmp_path_factory.mktemp("emulator-data"))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def http(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    """Every test that uses the shared server starts from the seed."""
    if "server" in request.fixturenames:
        http_client: httpx.Client = request.getfixturevalue("http")
        assert http_client.post("/_emulator/reset").status_code == 200


@pytest.fixture
def pa(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server.url}/powerauth", auth=PA_AUTH, timeout=10) as client:
        yield client


@pytest.fixture
def p1(server: EmulatorServer) -> Iterator[httpx.Client]:
    token = get_token(server.url)
    with httpx.Client(
        base_url=f"{server.url}/pingone/v1/environments/{ENV_ID}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ) as client:
        yield client


@pytest.fixture
def pid(server: EmulatorServer) -> Iterator[PingIdClient]:
    client = PingIdClient(server.url)
    yield client
    client.http.close()
