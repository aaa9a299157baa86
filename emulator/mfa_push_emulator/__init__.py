"""Local emulator for PowerAuth Cloud, PingOne MFA push credentials and PingID SDK applications.

One process, one port, one SQLite file: enough fidelity on the wire for the Pulumi provider's
tests to run without vendor accounts.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "create_app"]
__version__ = "0.2.0"


def __getattr__(name: str) -> Any:
    # Lazy, so that `mfa-push-emulator` can say which extra to install instead of failing
    # on an import of FastAPI when the package is imported.
    if name == "Settings":
        from mfa_push_emulator._settings import Settings

        return Settings
    if name == "create_app":
        from mfa_push_emulator.app import create_app

        return create_app
    raise AttributeError(name)
