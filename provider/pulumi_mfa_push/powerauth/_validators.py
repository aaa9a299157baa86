"""Value rules of the PowerAuth resources only; the rules PowerAuth shares with other APIs
(APNs keys, service-account files) are in `pulumi_mfa_push._validators`."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

ROLE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
#: PowerAuth application ids: ASCII letters, digits and `_ - . ~ : @ +`, which need no encoding
#: in a URL path. No `/ ? # % \`, no spaces, no look-alikes of `/` from other scripts.
APPLICATION_ID = re.compile(r"^[A-Za-z0-9_.~:@+-]+$")
APPLICATION_ID_RULE = "ASCII letters, digits and _ - . ~ : @ + only (such as MOBILE_APP or demo-app1)"


def _roles(value: list[str]) -> list[str]:
    for role in value:
        if not ROLE.match(role):
            raise ValueError(
                f"each role is 1-64 characters of letters, digits, '_', '.', ':' or '-' (bad role {role[:70]!r})"
            )
    unique = sorted(set(value))
    if len(",".join(f'"{r}"' for r in unique)) + 2 > 255:
        raise ValueError("the roles together exceed PowerAuth's 255-character limit; use fewer or shorter roles")
    return unique


def _app_id(value: str) -> str:
    if value != value.strip():
        raise ValueError(f"remove leading or trailing spaces; an application id is {APPLICATION_ID_RULE}")
    if value in (".", ".."):
        raise ValueError(f"'.' and '..' are path segments, not ids; an application id is {APPLICATION_ID_RULE}")
    if not APPLICATION_ID.match(value):
        # Never echo the value: it may be long or hostile; the rule says what to change.
        raise ValueError(f"has a character that is not allowed; an application id is {APPLICATION_ID_RULE}")
    return value


ApplicationId = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(_app_id)]
Roles = Annotated[list[str], AfterValidator(_roles)]
