"""Local emulator for PowerAuth Cloud, PingOne MFA push credentials and PingID SDK applications.

One process, one port, one SQLite file: enough fidelity on the wire for the Pulumi provider's
tests to run without vendor accounts.
"""

from mfa_push_emulator._settings import Settings
from mfa_push_emulator.app import create_app

__all__ = ["Settings", "create_app"]
__version__ = "0.1.0"
