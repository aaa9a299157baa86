"""The PingID SDK settings: which stack-config keys and variables the provider reads.

Apart from the HTTP client (`_client`), so that `check()` can ask for missing settings at
preview without importing the HTTP stack."""

from __future__ import annotations

from .. import _settings

ACCOUNT_ID = _settings.Setting("pingid:accountId", "PINGID_ACCOUNT_ID", "the PingID SDK account id")
API_KEY = _settings.Setting("pingid:apiKey", "PINGID_API_KEY", "the PingID SDK API key (Base64)", secret=True)
TOKEN = _settings.Setting("pingid:token", "PINGID_TOKEN", "the PingID SDK token", secret=True)
#: What `api()` cannot work without (the URL has a default); `check()` asks for them at preview.
REQUIRED = (ACCOUNT_ID, API_KEY, TOKEN)
#: CA certificates to trust besides the system's: a PEM file path or the PEM text.
CA_BUNDLE = ("pingid:caBundle", "PINGID_CA_BUNDLE")
