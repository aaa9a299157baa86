"""Value rules that several APIs share, each with one message: APNs .p8 keys and Firebase
service-account files (PowerAuth and PingOne), UUIDs and printable tokens (PingOne and PingID).

No message echoes the value: most of these values are secrets. Every failure of a parser a rule
calls (JSON nested thousands of levels deep, a PEM text the key loader cannot take) is that rule's
message, never an exception."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, StringConstraints

from . import _lazy

if TYPE_CHECKING:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
else:  # key parsing: only a check of a key needs it, never the program
    serialization = _lazy.module("cryptography.hazmat.primitives.serialization")
    ec = _lazy.module("cryptography.hazmat.primitives.asymmetric.ec")

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII without spaces


def uuid(value: str) -> str:
    if not _UUID.match(value):
        raise ValueError("must be a UUID such as 11111111-2222-4333-8444-555555555555")
    # Both APIs ignore case in ids and answer in lower case: compare and send that.
    return value.lower()


def printable(value: str) -> str:
    if not _PRINTABLE.match(value):
        raise ValueError("must be printable ASCII without spaces")
    return value


def _pem_problem(text: str) -> str | None:
    """Why `text` (stripped) is not exactly one PEM block with nothing around it, or None. The key
    loader reads the first block and ignores the rest: what it ignored would still be sent."""
    if "-----BEGIN " not in text:
        return "is not a PEM text (one that starts with -----BEGIN and ends with -----END)"
    if text.count("-----BEGIN ") > 1 or text.count("-----END ") > 1:
        return "holds more than one PEM block; give exactly one key"
    if not (text.startswith("-----BEGIN ") and text.endswith("-----")):
        return "has text before or after its PEM block; give exactly one key, from -----BEGIN to -----END"
    return None


def _private_key(pem: str) -> Any | None:
    """The key of a PEM text, or None when it is not one readable, unencrypted private key."""
    if _pem_problem(pem.strip()) is not None:
        return None
    try:
        # The full RSA consistency check costs ~30 ms per call; a readable key is all we need to know.
        return serialization.load_pem_private_key(
            pem.strip().encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True
        )
    except Exception:  # ValueError, TypeError, UnsupportedAlgorithm, or whatever hostile text raises
        return None


def apns_p8(value: str) -> str:
    """The .p8 file's PEM text: PKCS#8, unencrypted, an EC P-256 key (what Apple issues)."""
    text = value.strip()
    if "BEGIN EC PRIVATE KEY" in text:
        raise ValueError(
            "is a SEC1 'EC PRIVATE KEY'; APNs keys are given in the PKCS#8 .p8 form ('BEGIN PRIVATE KEY'), "
            "convert it with `openssl pkcs8 -topk8 -nocrypt`"
        )
    if "BEGIN ENCRYPTED PRIVATE KEY" in text:
        raise ValueError("is an encrypted key; give the unencrypted .p8 file Apple issued")
    problem = _pem_problem(text)
    if problem is not None and "-----BEGIN " in text:  # without one, the message below says what to give
        raise ValueError(f"{problem} (the .p8 file's text)")
    if not (text.startswith("-----BEGIN PRIVATE KEY-----") and text.endswith("-----END PRIVATE KEY-----")):
        raise ValueError(
            "must be the PEM text of the APNs .p8 key file, "
            "from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----"
        )
    key = _private_key(text)
    if key is None:
        raise ValueError("is not a readable PKCS#8 PEM private key (is the text complete? paste the whole .p8 file)")
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("must be an EC private key: APNs .p8 keys are P-256 EC keys")
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("must be a P-256 EC key: APNs signs with ES256")
    return value


def service_account(value: str) -> str:
    """The Firebase service-account key file's text, checked without echoing any of it."""
    try:
        data = json.loads(value)
    except RecursionError:
        raise ValueError("is JSON nested too deeply to be a service-account key file") from None
    except ValueError:
        raise ValueError(
            "is not valid JSON: give the text of the service-account key file from Firebase "
            "(Project settings > Service accounts > Generate new private key)"
        ) from None
    if not isinstance(data, dict):
        raise ValueError("must be a JSON object (the service-account key file)")
    if data.get("type") != "service_account":
        raise ValueError('must be a service-account key file ("type": "service_account")')
    missing = [
        k for k in ("project_id", "private_key", "client_email") if not isinstance(data.get(k), str) or not data[k]
    ]
    if missing:
        raise ValueError(f"lacks {', '.join(missing)} (is it the complete service-account key file?)")
    if "@" not in data["client_email"]:
        raise ValueError("has a client_email that is not an e-mail address")
    problem = _pem_problem(data["private_key"].strip())
    if problem is not None:
        raise ValueError(f"has a private_key that {problem}")
    if _private_key(data["private_key"]) is None:
        raise ValueError("has a private_key that is not a readable PEM private key")
    return value


#: Apple's key IDs and team IDs: 10 upper-case letters or digits.
APPLE_ID = re.compile(r"^[A-Z0-9]{10}$")


def apple_key_id(value: str) -> str:
    if "PRIVATE KEY" in value:
        # Key ID and key file are easy to swap; the message must not echo the key.
        raise ValueError(
            "holds a key file: this is the 10-character key ID; the .p8 file's text goes in `token` (PingOne) "
            "or `private_key` (PowerAuth)"
        )
    if not APPLE_ID.match(value):
        raise ValueError("must be the 10-character APNs key ID (upper-case letters and digits)")
    return value


def apple_team_id(value: str) -> str:
    if not APPLE_ID.match(value):
        raise ValueError("must be the 10-character Apple developer team ID (upper-case letters and digits)")
    return value


Uuid = Annotated[str, StringConstraints(min_length=1, max_length=36), AfterValidator(uuid)]
#: A secret or key given as one word of printable ASCII (client secrets, server keys).
PrintableToken = Annotated[str, StringConstraints(min_length=1, max_length=1024), AfterValidator(printable)]
#: The APNs .p8 key file's text, as given (surrounding whitespace is allowed).
P8Key = Annotated[str, StringConstraints(min_length=1, max_length=8192), AfterValidator(apns_p8)]
ServiceAccountJson = Annotated[str, StringConstraints(min_length=1, max_length=65536), AfterValidator(service_account)]
#: The 10-character APNs key ID of a .p8 key (never the key file itself).
AppleKeyId = Annotated[str, StringConstraints(min_length=1, max_length=4096), AfterValidator(apple_key_id)]
#: The 10-character Apple developer team ID.
AppleTeamId = Annotated[str, StringConstraints(min_length=1, max_length=10), AfterValidator(apple_team_id)]
