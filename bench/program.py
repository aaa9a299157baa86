"""The benchmark's Pulumi program (copied as the throw-away project's stacks/__main__.py):
builds the resources listed in the JSON spec named by $MFA_BENCH_SPEC (bench/stackgen.py).
mode "real": pulumi_mfa_push resources; mode "noop": floor (b), trivial dynamic resources with
the same names and the same parent -> child dependencies."""

import json
import os
from pathlib import Path

spec = json.loads(Path(os.environ["MFA_BENCH_SPEC"]).read_text())
made = {}

if spec["mode"] == "noop":
    import pulumi
    from mfa_bench_noop import Noop

    payload = spec.get("payload")  # diagnostics only: carry the real resource's arguments as data
    for r in spec["resources"]:
        props = {"kind": r["kind"], "index": r["index"], "rev": r.get("rev", 0)}
        if payload == "plain":
            props["blob"] = json.dumps(r["args"])
        elif payload == "secret":
            props["blob"] = pulumi.Output.secret(json.dumps(r["args"]))
        if r.get("parent"):
            props["parent_id"] = made[r["parent"]].id
        made[r["name"]] = Noop(r["name"], props)
else:
    from pulumi_mfa_push import registry

    # The spec names a kind as bench/stackgen.py's label() does: `powerauth.Application`.
    kinds = {f"{kind.api}.{kind.name}": kind.resource for kind in registry.kinds()}
    for r in spec["resources"]:
        args = {k: v for k, v in r["args"].items() if v is not None}
        if r.get("parent"):
            args["application_id"] = made[r["parent"]].application_id
        made[r["name"]] = kinds[r["kind"]](r["name"], **args)
