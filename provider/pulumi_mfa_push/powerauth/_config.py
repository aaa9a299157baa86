"""The PowerAuth Cloud settings: which stack-config keys and variables the provider reads.

Apart from the HTTP client (`_client`), so that `check()` can ask for missing settings at
preview without importing the HTTP stack."""

from __future__ import annotations

from .. import _settings

URL = _settings.Setting("powerauth:url", "POWERAUTH_URL", "the PowerAuth Cloud base URL")
USERNAME = _settings.Setting("powerauth:username", "POWERAUTH_USERNAME", "the admin user name")
PASSWORD = _settings.Setting("powerauth:password", "POWERAUTH_PASSWORD", "the admin password", secret=True)
#: What `api()` cannot work without; `check()` asks for them at preview.
REQUIRED = (URL, USERNAME, PASSWORD)
#: CA certificates to trust besides the system's: a PEM file path or the PEM text.
CA_BUNDLE = ("powerauth:caBundle", "POWERAUTH_CA_BUNDLE")
