"""The published OpenAPI describes what the emulator does (issue 15, item 11): Schemathesis, every
check, against a running emulator, authenticated as each API's clients are (st_hooks.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from emu_helpers import PA_AUTH, EmulatorServer, free_port, start_process, stop_process

HERE = Path(__file__).resolve().parent
ST = Path(sys.executable).parent / "st"
#: As in the issue's run: every check, 30 examples per operation; a fixed seed, no example database.
ST_ARGS = ["--checks", "all", "--max-examples", "30", "--seed", "42", "--workers", "1"]
APIS = "^/(powerauth|pingone|pingone-auth|pingid)/"  # the control plane would reset the run's data


def test_schemathesis_finds_nothing_the_document_does_not_say(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "mfa_push_emulator",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "data"),
    ]
    proc = start_process([*cmd, "--no-access-log"], base, tmp_path / "server.log")
    env = {
        **os.environ,
        "EMULATOR_URL": base,
        "SCHEMATHESIS_HOOKS": "st_hooks",
        "PYTHONPATH": os.pathsep.join([str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    try:
        run = subprocess.run(
            [str(ST), "run", f"{base}/openapi.json", *ST_ARGS, "--include-path-regex", APIS, "--no-color",
             "--generation-database", "none"],
            cwd=tmp_path,  # no schemathesis.toml of anyone else's, and reports stay here
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
    finally:
        stop_process(proc)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert " passed" in run.stdout and "Tested: 32" in run.stdout, run.stdout[-3000:]


def test_no_fastapi_422_and_every_api_answer_is_documented(http: httpx.Client) -> None:
    doc = http.get("/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert "422" not in op["responses"], (method, path)
            if path.startswith(("/powerauth/", "/pingone", "/pingid/")):
                assert op["security"], (method, path)
                for code in ("401", "403", "429", "500", "503"):
                    assert code in op["responses"], (method, path, code)
    token = doc["paths"]["/pingone-auth/{envId}/as/token"]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]


def test_405_names_the_methods_of_the_path(server: EmulatorServer) -> None:
    r = httpx.request("PATCH", f"{server.url}/powerauth/admin/applications", auth=PA_AUTH)
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    assert r.json()["responseObject"]["code"] == "ERROR_REQUEST"
    r = httpx.request("TRACE", f"{server.url}/pingid/v1/accounts/x/applications/y")
    assert r.status_code == 405 and r.headers["allow"] == "GET, PUT" and r.headers["x-pingid-signature"]
    r = httpx.delete(f"{server.url}/_emulator/health")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
