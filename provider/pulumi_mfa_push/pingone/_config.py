"""The PingOne settings: which stack-config keys and variables the provider reads.

Apart from the HTTP client (`_client`), so that `check()` can ask for missing settings at
preview without importing the HTTP stack."""

from __future__ import annotations

from .. import _settings

ENVIRONMENT_ID = _settings.Setting(
    "pingone:environmentId", "PINGONE_ENVIRONMENT_ID", "the environment id of the worker app"
)
CLIENT_ID = _settings.Setting("pingone:clientId", "PINGONE_CLIENT_ID", "the worker app's client id")
CLIENT_SECRET = _settings.Setting(
    "pingone:clientSecret", "PINGONE_CLIENT_SECRET", "the worker app's client secret", secret=True
)
#: What `api()` cannot work without (the URLs have defaults); `check()` asks for them at preview.
REQUIRED = (ENVIRONMENT_ID, CLIENT_ID, CLIENT_SECRET)
#: CA certificates to trust besides the system's (for both URLs): a PEM file path or the PEM text.
CA_BUNDLE = ("pingone:caBundle", "PINGONE_CA_BUNDLE")
