"""Fixed, documented credentials and resources written on first start and on reset.

The values are constants (not random) so scripts and docs can hard-code them.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from mfa_push_emulator._store import Tx

POWERAUTH_USERNAME = "admin"
POWERAUTH_PASSWORD = "powerauth-dev-password"  # noqa: S105 - documented dev seed

PINGONE_ENVIRONMENT_ID = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
PINGONE_CLIENT_ID = "7f3e2d1c-0b9a-4c8d-8e7f-6a5b4c3d2e1f"
PINGONE_CLIENT_SECRET = "pingone-dev-client-secret"  # noqa: S105 - documented dev seed
PINGONE_APPLICATIONS = (
    ("11111111-2222-4333-8444-555555555555", "Dev iOS App"),
    ("66666666-7777-4888-8999-aaaaaaaaaaaa", "Dev Android App"),
)

SEED_TIMESTAMP = "2024-01-01T00:00:00.000Z"
#: The seeded environment as `GET /environments/{envId}` describes it (a data dir seeded before
#: these fields existed holds only the id; the view fills the rest from here).
PINGONE_ENVIRONMENT: dict[str, Any] = {
    "id": PINGONE_ENVIRONMENT_ID,
    "name": "Dev Environment",
    "description": "The emulator's seeded environment",
    "type": "SANDBOX",
    "region": "NA",
    "license": {"id": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"},
    "organization": {"id": "c0ffee00-1234-4abc-8def-0123456789ab"},
    "createdAt": SEED_TIMESTAMP,
    "updatedAt": SEED_TIMESTAMP,
}

PINGID_ACCOUNT_ID = "f851a4da-1239-4008-9456-8b93279558f2"
PINGID_API_KEY = base64.b64encode(b"pingid-dev-api-key-32-bytes-long").decode("ascii")
PINGID_TOKEN = "pingid-dev-token"  # noqa: S105 - documented dev seed
PINGID_CONSOLE_APP_ID = "0c1a2b3c-4d5e-4f60-8172-93a4b5c6d7e8"
PINGID_CONSOLE_APP_NAME = "Console App"


def now_iso() -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as PingOne formats timestamps."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def seed(tx: Tx) -> None:
    """Write the seed into an empty store."""
    tx.put("meta", "seeded", {"at": now_iso()})
    tx.put("pa_user", POWERAUTH_USERNAME, {"username": POWERAUTH_USERNAME, "password": POWERAUTH_PASSWORD})

    tx.put("p1_env", PINGONE_ENVIRONMENT_ID, dict(PINGONE_ENVIRONMENT))
    tx.put(
        "p1_client",
        PINGONE_CLIENT_ID,
        {"clientId": PINGONE_CLIENT_ID, "clientSecret": PINGONE_CLIENT_SECRET, "environmentId": PINGONE_ENVIRONMENT_ID},
    )
    for app_id, name in PINGONE_APPLICATIONS:
        tx.put(
            "p1_app",
            (PINGONE_ENVIRONMENT_ID, app_id),
            {
                "id": app_id,
                "environmentId": PINGONE_ENVIRONMENT_ID,
                "name": name,
                "enabled": True,
                "type": "NATIVE_APP",
                "protocol": "OPENID_CONNECT",
                "grantTypes": ["AUTHORIZATION_CODE"],
                "responseTypes": ["CODE"],
                "redirectUris": [],
                "tokenEndpointAuthMethod": "NONE",
                "createdAt": SEED_TIMESTAMP,
                "updatedAt": SEED_TIMESTAMP,
            },
        )

    tx.put(
        "pid_account",
        PINGID_ACCOUNT_ID,
        {"accountId": PINGID_ACCOUNT_ID, "apiKey": PINGID_API_KEY, "token": PINGID_TOKEN},
    )
    tx.put(
        "pid_app",
        (PINGID_ACCOUNT_ID, PINGID_CONSOLE_APP_ID),
        {
            "id": PINGID_CONSOLE_APP_ID,
            "accountId": PINGID_ACCOUNT_ID,
            "name": PINGID_CONSOLE_APP_NAME,
            "consoleName": True,
            "appEnabled": True,
        },
    )


def ensure_seeded(tx: Tx) -> None:
    if tx.get("meta", "seeded") is None:
        seed(tx)
