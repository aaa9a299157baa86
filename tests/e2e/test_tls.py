"""HTTPS as production runs it, through the real CLI: the dev stack against the emulator's TLS
with only `<api>:caBundle`, the one-line failure without it, a deploy through a real CONNECT proxy
(`HTTPS_PROXY`) and around it (`NO_PROXY`), and the `allowInsecureHttp` rule over plain http."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from _harness import Emulator, Project
from _proxy import Proxy

APIS = ("powerauth", "pingone", "pingid")
NAMES = {"powerauth": "PowerAuth", "pingone": "PingOne auth", "pingid": "PingID SDK"}
PROXY_ENV = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "all_proxy", "no_proxy")
ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
IOS = "11111111-2222-4333-8444-555555555555"


def _host(emu: Emulator) -> str:
    return emu.url.split("://", 1)[1]


def _plain_env(project: Project) -> None:
    """Only what the test sets: no proxy and no SSL_CERT_FILE of the caller's environment."""
    for name in (*PROXY_ENV, "SSL_CERT_FILE", "SSL_CERT_DIR"):
        project.env.pop(name, None)


def _objects() -> dict[str, Any]:
    """One object per API."""
    return {
        "powerauthApplications": [{"name": "tls-app", "applicationId": "E2E_TLS_APP", "roles": ["ROLE_USER"]}],
        "pingonePushCredentials": [
            {
                "name": "tls-hms",
                "environmentId": ENV,
                "applicationId": IOS,
                "type": "HMS",
                "clientId": "104000001",
                "clientSecret": "tls-hms-client-secret",
            }
        ],
        "pingidApplications": [
            {"name": "tls-pingid", "applicationId": "5d1e9a3c-7b2f-4e8a-9c6d-0f1e2a3b4c5d", "appName": "TLS"}
        ],
    }


def test_dev_stack_over_https_with_only_ca_bundle(project: Project) -> None:
    emu = project.emulator
    _plain_env(project)
    project.use_stack_file("dev")
    config = yaml.safe_load((project.dir / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    urls = [config[k] for k in ("powerauth:url", "pingone:apiUrl", "pingone:authUrl", "pingid:url")]
    assert all(url.startswith(f"https://{_host(emu)}/") for url in urls), urls
    # Only the CA, by a path relative to the project directory (the program runs in stacks/).
    assert {config[f"{api}:caBundle"] for api in APIS} == {".state/emulator/tls/ca.pem"}
    assert (project.dir / ".state/emulator/tls/ca.pem").read_bytes() == Path(str(emu.ca_file)).read_bytes()
    assert not [key for key in config if key.endswith("allowInsecureHttp")]

    project.up(stack="dev")
    apps = {a["id"] for a in emu.powerauth("GET", "/admin/applications").json()["applications"]}
    assert {"DEMO_APP", "PARTNER_APP"} <= apps
    created = len(project.resources(stack="dev"))
    assert created >= 12

    emu.zero()
    refresh = project.refresh(stack="dev")
    assert emu.requests()["total"] > 0 and f"{created + 1} unchanged" in refresh.stdout  # and the stack, refresh.stdout
    project.destroy(stack="dev")
    assert project.resources(stack="dev") == []


def test_without_ca_bundle_the_first_call_fails_in_one_line_and_writes_nothing(project: Project) -> None:
    emu = project.emulator
    _plain_env(project)
    project.use_stack_file("dev")
    for api in APIS:
        project.run("config", "rm", f"{api}:caBundle", stack="dev")
    preview = project.preview("dev")  # no API call at preview: nothing to refuse yet
    assert "create" in preview.stdout

    emu.zero()
    started = time.monotonic()
    # --continue-on-error: every resource's create is tried, so each API meets the certificate
    # (without it the engine stops at the first failure, before the slower APIs' creates start).
    up = project.up("dev", "--continue-on-error", check=False)
    elapsed = time.monotonic() - started
    text = up.stdout + up.stderr
    assert up.returncode != 0
    for api in APIS:
        line = (
            rf"{NAMES[api]} API: [A-Z]+ /\S+ could not be completed: the TLS certificate of {re.escape(_host(emu))} "
            rf"is signed by a CA this machine does not trust; set {api}:caBundle to that CA's PEM file \(or PEM text\)"
        )
        assert re.search(line, text), f"{api}: no one-line TLS refusal in\n{text}"
    assert "Traceback" not in text and "CERTIFICATE_VERIFY_FAILED" not in text
    assert emu.requests()["total"] == 0, emu.requests()  # nothing got past the handshake
    assert project.resources(stack="dev") == []
    assert elapsed < 120, f"up took {elapsed:.0f} s: refused certificates must not be retried"


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    running = Proxy()
    yield running
    running.stop()


def test_deploy_through_a_connect_proxy_and_no_proxy_bypasses_it(project: Project, proxy: Proxy) -> None:
    emu = project.emulator
    _plain_env(project)
    project.init(objects=_objects())
    # Loopback targets are not exempt by themselves: without NO_PROXY, the calls to the emulator
    # on 127.0.0.1 go through the proxy.
    project.env["HTTPS_PROXY"] = proxy.url
    project.up()
    assert proxy.connects[_host(emu)] > 0
    assert set(proxy.connects) == {_host(emu)}, proxy.connects  # the engine's own links stay direct
    assert emu.powerauth("GET", "/admin/applications/E2E_TLS_APP").status_code == 200

    through = proxy.connects[_host(emu)]
    project.env["NO_PROXY"] = "localhost,127.0.0.1,::1"
    emu.zero()
    project.refresh()
    project.destroy()
    assert emu.requests()["total"] > 0
    assert proxy.connects[_host(emu)] == through  # NO_PROXY: not one more tunnel


def test_allow_insecure_http_over_plain_http(tmp_path: Path, engine_bin: Path, http_emulator: Emulator) -> None:
    http_emulator.reset()
    project = Project(tmp_path / "project", http_emulator)
    _plain_env(project)
    project.init(objects=_objects())
    assert http_emulator.url.startswith("http://") and http_emulator.ca_file is None
    project.up()
    assert http_emulator.powerauth("GET", "/admin/applications/E2E_TLS_APP").status_code == 200

    # Without the setting, the next call (an update of the roles) is refused before it is sent.
    # (A refresh would not show it: it runs with the provider configuration of the last update.)
    changed = _objects()
    changed["powerauthApplications"][0]["roles"] = ["ROLE_ADMIN"]
    project.configure("test", changed)
    project.run("config", "rm", "powerauth:allowInsecureHttp")
    http_emulator.zero()
    up = project.up(check=False)
    text = up.stdout + up.stderr
    assert up.returncode != 0
    assert (
        f"PowerAuth URL http://{_host(http_emulator)} uses plain http; set powerauth:allowInsecureHttp "
        "to true to allow it for a loopback emulator"
    ) in text, text
    assert not [r for r in http_emulator.requests()["byRoute"] if "/powerauth/" in r]
