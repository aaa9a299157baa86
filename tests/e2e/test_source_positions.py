"""Where each resource was declared, as the engine records it: the user's program, not this
library. The SDK takes the caller of the third `__init__` on the stack (Resource's,
CustomResource's, then the resource class's), so the library declares resources without an
`__init__` of its own in between; it also keeps each resource's stack trace in state shorter."""

from __future__ import annotations

from _harness import Project

APPS = [{"name": f"app-{i}", "applicationId": f"SOURCE_APP_{i}"} for i in range(2)]


def test_every_resource_is_placed_in_the_users_program(project: Project) -> None:
    project.init(
        objects={
            "powerauthApplications": APPS,
            "powerauthRoleSets": [{"name": "roles", "application": "app-0", "roles": ["R"]}],
        }
    )
    project.up()
    resources = project.resources()
    assert len(resources) == 3
    for resource in resources:
        assert resource["sourcePosition"].split("#")[0].endswith("/stacks/__main__.py"), resource["sourcePosition"]
        frames = [f.get("sourcePosition", "") for f in resource.get("stackTrace", [])]
        assert frames and not any("pulumi_mfa_push" in f for f in frames), frames
