"""More dynamic-provider hosts (`mfa-push:providerHosts`, issue 16), through the real CLI.

Upstream's dynamic-provider host serves four calls at once, a number fixed in its code. Each
explicit `pulumi-python` provider is a host process of its own, so N hosts serve 4 x N calls:
the emulator sees more calls in flight, and moving resources between hosts replaces nothing."""

from __future__ import annotations

from typing import Any

from _harness import Project

APPS = [{"name": f"app-{i:02d}", "applicationId": f"HOSTS_APP_{i:02d}"} for i in range(16)]
OBJECTS = {"powerauthApplications": APPS}
HOSTS = "mfa-push:providerHosts"


def _state(project: Project) -> tuple[dict[str, str], dict[str, str]]:
    """(application name -> the provider it uses, application name -> id)."""
    resources = project.export()["deployment"]["resources"]
    apps = [r for r in resources if r["type"].startswith("pulumi-python:dynamic/")]
    uses = {r["urn"].rsplit("::", 1)[1]: r["provider"].split("::")[-2] for r in apps}
    ids = {r["urn"].rsplit("::", 1)[1]: r["id"] for r in apps}
    hosts = {r["urn"].rsplit("::", 1)[1] for r in resources if r["type"] == "pulumi:providers:pulumi-python"}
    assert set(uses.values()) <= hosts
    return uses, ids


def _in_flight_during_up(project: Project, *extra: str, latency_ms: int = 400) -> int:
    emu = project.emulator
    emu.faults(latencyMs=latency_ms, probability=0)
    emu.zero()
    try:
        project.up("test", *extra)
    finally:
        emu.no_faults()
    peak: Any = emu.requests()["maxInFlight"]
    return int(peak)


def test_more_hosts_keep_more_calls_in_flight_and_replace_nothing(project: Project) -> None:
    project.init(objects=OBJECTS, extra={HOSTS: "4"})
    # 16 creates of 3 s each: one host would serve them 4 at a time. The hosts start as their first
    # resources are checked; 3 s is long enough that they overlap even on a loaded machine.
    assert _in_flight_during_up(project, "--parallel", "16", latency_ms=3000) > 4
    uses, ids = _state(project)
    # The resources take the hosts in turn, in the order the program declares them.
    assert uses == {a["name"]: f"mfa-push-host-{i % 4}" for i, a in enumerate(APPS)}
    # Each host holds the stack's settings of our APIs, its secrets encrypted.
    state = project.dir / ".backend" / ".pulumi" / "stacks" / "mfa-push" / "test.json"
    text = state.read_text()
    assert "powerauth:url" in text and "pingone:clientSecret" in text
    for key, value in project.emulator.secrets().items():
        assert value not in text, f"{key} in plain text in the state"

    # A changed setting reaches the hosts as an update of their inputs: nothing of theirs changes.
    project.configure("test", OBJECTS, {HOSTS: "4", "powerauth:timeoutSeconds": "45"})
    preview = project.preview().stdout
    summary = preview[preview.index("Resources:") :]
    assert "~ 4 to update" in summary and "17 unchanged" in summary, summary  # the hosts; 16 apps + stack
    assert not any(word in summary for word in ("to replace", "to create", "to delete")), summary

    # Back to one host (the default provider): nothing is replaced or updated, the hosts go.
    project.configure("test", OBJECTS, {HOSTS: "1"})
    preview = project.preview().stdout
    summary = preview[preview.index("Resources:") :]
    assert "- 4 to delete" in summary and "17 unchanged" in summary, summary  # the hosts; 16 apps + the stack
    assert not any(word in summary for word in ("to update", "to replace", "to create")), summary
    project.up()
    uses_after, ids_after = _state(project)
    assert ids_after == ids
    assert set(uses_after.values()) == {"default"}

    # One host serves at most four calls at once, whatever --parallel says (16 more applications:
    # PowerAuth keeps an application the stack lets go of).
    more = [{"name": f"more-{i:02d}", "applicationId": f"HOSTS_MORE_{i:02d}"} for i in range(16)]
    project.configure("test", {"powerauthApplications": APPS + more}, {HOSTS: "1"})
    assert _in_flight_during_up(project, "--parallel", "16") <= 4


def test_a_bad_host_count_is_one_line_naming_the_setting(project: Project) -> None:
    project.init(objects=OBJECTS)
    for bad in ("0", "many", "33"):
        project.configure("test", OBJECTS, {HOSTS: bad})
        project.emulator.zero()
        out = project.preview(check=False)
        text = out.stdout + out.stderr
        assert out.returncode != 0
        assert "mfa-push:providerHosts must be a whole number from 1 to 32" in text, text
        assert "pulumi config set mfa-push:providerHosts" in text
        assert "Traceback" not in text
        assert project.emulator.requests()["total"] == 0  # the program stopped before any call
