"""Ids that would steer a request elsewhere fail check() at preview, by name, with no API call."""

from __future__ import annotations

import json
import re

from _harness import Project

# The engine stops a preview at the first failed check, so each id gets a preview of its own:
# the program declares the one that HOSTILE_INDEX names.
PROGRAM = """
import json
import os
import pulumi
from pulumi_mfa_push import powerauth

index = int(os.environ["HOSTILE_INDEX"])
app_id = json.loads(pulumi.Config().require("ids"))[index]
app = powerauth.Application(f"hostile-{index}", application_id=app_id)
powerauth.Callback(f"hostile-{index}-cb", application_id=app_id, callback_name="c",
                   type="OPERATION_STATUS_CHANGE", callback_url="https://hooks.example.com/x")
"""

HOSTILE = [
    "../../x",
    "..",
    ".",
    "A#b",
    "A?b",
    "A/callbacks/0b0e7a1c",
    "A\\\\b",
    "A%b",
    "%2e%2e",
    "A%2Fb",
    "A%5Cb",
    " A",
    "A ",
    "A b",
    "A\u2215b",  # DIVISION SLASH
    "A\u2044b",  # FRACTION SLASH
    "A\uff0fb",  # FULLWIDTH SOLIDUS
    "A\u29f8b",  # BIG SOLIDUS
]


def test_hostile_application_ids_fail_check_with_no_call(project: Project) -> None:
    emu = project.emulator
    project.dir.joinpath("stacks", "__main__.py").write_text(PROGRAM)
    project.init(extra={"mfa-push:ids": json.dumps(HOSTILE)})
    emu.zero()
    for index, app_id in enumerate(HOSTILE):
        project.env["HOSTILE_INDEX"] = str(index)
        out = project.preview(check=False)
        text = out.stdout + out.stderr
        assert out.returncode != 0, (app_id, text)
        assert "Traceback" not in text, (app_id, text)
        # A named failure: the resource, the property and the rule that says what to use instead.
        assert re.search(rf"resource 'hostile-{index}(-cb)?': property application_id .*`application_id`", text), (
            app_id,
            text,
        )
        assert "ASCII letters, digits and _ - . ~ : @ + only" in text, (app_id, text)
    assert emu.requests()["total"] == 0, emu.requests()
