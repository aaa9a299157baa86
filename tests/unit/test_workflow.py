"""The CI workflow (.github/workflows/pulumi.yml): valid YAML with the jobs, triggers and steps
users rely on: previews of pull requests through tools/dev.py (so with the policy pack), their
output as an artifact and a PR comment, and a gated prod deploy on pushes to main."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "pulumi.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # PyYAML (YAML 1.1) reads the bare key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict), "the workflow has no `on:` triggers"
    return on


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    result = job.get("steps")
    assert isinstance(result, list) and result
    return result


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(job) if str(s.get("uses", "")).startswith(action + "@")]


def runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in steps(job))


def preview_job(workflow: dict[str, Any]) -> dict[str, Any]:
    return workflow["jobs"]["preview"]


def deploy_job(workflow: dict[str, Any]) -> dict[str, Any]:
    return workflow["jobs"]["deploy-prod"]


def test_yaml_parses_and_has_a_name(workflow: dict[str, Any]) -> None:
    assert workflow["name"]
    assert set(workflow["jobs"]) >= {"preview", "deploy-prod"}


def test_triggers_are_pull_requests_and_pushes_to_main(workflow: dict[str, Any]) -> None:
    on = triggers(workflow)
    assert "pull_request" in on
    assert on["push"]["branches"] == ["main"]


def test_every_job_runs_somewhere_with_steps_and_a_timeout(workflow: dict[str, Any]) -> None:
    for name, job in workflow["jobs"].items():
        assert job["runs-on"], name
        assert isinstance(job.get("timeout-minutes"), int), name
        for step in steps(job):
            assert ("uses" in step) != ("run" in step), f"{name}: a step needs exactly one of uses/run: {step}"
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]


@pytest.mark.parametrize("job_name", ["preview", "deploy-prod"])
def test_jobs_set_up_python_and_go_and_bootstrap(workflow: dict[str, Any], job_name: str) -> None:
    job = workflow["jobs"][job_name]
    assert uses(job, "actions/checkout")
    [python] = uses(job, "actions/setup-python")
    assert python["with"]["python-version"]
    [go] = uses(job, "actions/setup-go")
    assert go["with"]["go-version-file"] == "tools/pulumi/go.mod"
    assert (ROOT / "tools" / "pulumi" / "go.mod").exists()
    text = runs(job)
    assert "make bootstrap" in text or "bash tools/bootstrap.sh" in text
    order = [i for i, s in enumerate(steps(job)) if "bootstrap" in str(s.get("run", ""))]
    first_dev = min(i for i, s in enumerate(steps(job)) if "tools/dev.py" in str(s.get("run", "")))
    assert order and order[0] < first_dev, "bootstrap must run before tools/dev.py"


def test_preview_runs_on_pull_requests_through_tools_dev_py(workflow: dict[str, Any]) -> None:
    job = preview_job(workflow)
    assert "pull_request" in job["if"]
    stacks = job["strategy"]["matrix"]["stack"]
    assert "prod" in stacks
    for stack in stacks:
        assert (ROOT / "stacks" / f"Pulumi.{stack}.yaml").exists(), stack
    text = runs(job)
    assert re.search(r"python tools/dev\.py preview \$\{\{ matrix\.stack \}\}", text)
    # No bare `pulumi preview`: only tools/dev.py adds the policy pack and its per-stack config.
    assert not re.search(r"(^|\s)pulumi preview", text)


def test_tools_dev_py_previews_with_the_policy_pack() -> None:
    """What the workflow relies on: tools/dev.py passes the pack (it exists) and its config."""
    dev = (ROOT / "tools" / "dev.py").read_text()
    assert '"--policy-pack"' in dev and '"--policy-pack-config"' in dev
    assert 'ROOT / "policies"' in dev
    assert (ROOT / "policies" / "PulumiPolicy.yaml").exists()
    assert (ROOT / "policies" / "config" / "prod.json").exists()


def test_preview_output_is_uploaded_and_commented(workflow: dict[str, Any]) -> None:
    job = preview_job(workflow)
    assert job["permissions"]["pull-requests"] == "write"
    [upload] = uses(job, "actions/upload-artifact")
    assert upload["if"] == "always()"
    assert "matrix.stack" in upload["with"]["path"]
    [comment] = uses(job, "actions/github-script")
    assert comment["if"].startswith("always()")
    script = comment["with"]["script"]
    assert "createComment" in script and "updateComment" in script
    assert "preview-${stack}.txt" in script
    # The job still fails when the preview failed, after the upload and the comment.
    names = [s.get("name", "") for s in steps(job)]
    fail = next(i for i, s in enumerate(steps(job)) if "exit 1" in str(s.get("run", "")) and "if" in s)
    assert fail > names.index(upload["name"]) and fail > names.index(comment["name"])


def test_preview_keeps_the_exit_code_through_tee(workflow: dict[str, Any]) -> None:
    step = next(s for s in steps(preview_job(workflow)) if s.get("id") == "preview")
    assert "PIPESTATUS[0]" in step["run"] and "tee" in step["run"]


def test_deploy_runs_on_main_behind_the_production_environment(workflow: dict[str, Any]) -> None:
    job = deploy_job(workflow)
    assert "push" in job["if"] and "refs/heads/main" in job["if"]
    env = job["environment"]
    assert (env if isinstance(env, str) else env["name"]) == "production"
    assert job["concurrency"]["cancel-in-progress"] is False
    assert job["strategy"]["matrix"]["stack"] == ["prod"]
    text = runs(job)
    assert "python tools/dev.py deploy ${{ matrix.stack }}" in text
    assert "pipefail" in text
    assert "pulumi up" not in text


def test_deploys_queue_per_stack_on_the_shared_backend(workflow: dict[str, Any]) -> None:
    """Two deploys of one stack wait for each other (one concurrency group per stack, never
    cancelled midway) instead of failing at the stack's lock in the shared backend."""
    job = deploy_job(workflow)
    assert job["concurrency"]["group"] == "pulumi-stack-${{ matrix.stack }}"
    assert job["concurrency"]["cancel-in-progress"] is False
    # The backend comes from PULUMI_BACKEND_URL (a secret: a postgres:// URL carries a password).
    assert "secrets.PULUMI_BACKEND_URL" in job["env"]["PULUMI_BACKEND_URL"]
    assert "secrets.PULUMI_BACKEND_URL" in preview_job(workflow)["env"]["PULUMI_BACKEND_URL"]
    check = next(s for s in steps(job) if "PULUMI_BACKEND_URL" in str(s.get("run", "")))
    assert "file://" in check["run"], "a file:// backend on a throw-away runner must be refused"
    # The comments say how to set it up: PostgreSQL, object stores, Pulumi Cloud, and the lock.
    text = WORKFLOW.read_text()
    for needle in ("postgres://", "table=", "s3://", "gs://", "azblob://", "api.pulumi.com", "pulumi cancel"):
        assert needle in text, needle


def test_passphrase_comes_from_the_secret(workflow: dict[str, Any]) -> None:
    assert deploy_job(workflow)["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    assert "secrets.PULUMI_CONFIG_PASSPHRASE" in preview_job(workflow)["env"]["PULUMI_CONFIG_PASSPHRASE"]
    text = WORKFLOW.read_text()
    assert "mfa-push-dev-passphrase" not in text  # never a literal passphrase


def test_least_privilege_token(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    assert "permissions" not in deploy_job(workflow)  # inherits read-only
