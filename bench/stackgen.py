"""The generated stack: N resources of every type in the registry, in groups, and the emulator
set up for them. One spec (JSON) drives the real program, floor (b) and the direct calls."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulumi_mfa_push import registry

from tests._material import apns_p8, rsa_pem

if TYPE_CHECKING:
    from tests._harness import Emulator

APPLICATION = "powerauth:Application"
CALLBACK = "powerauth:Callback"
PUSH_CREDENTIAL = "pingone:PushCredential"
CRED_TYPES = ("APNS", "FCM_HTTP_V1", "HMS")


class Material:
    """Key material made once per run: APNs keys, one RSA key for the service accounts."""

    def __init__(self) -> None:
        self.rsa = rsa_pem()
        self.p8: list[str] = []

    def p8_key(self, i: int) -> str:
        while len(self.p8) <= i:
            self.p8.append(apns_p8())
        return self.p8[i]

    def service_account(self, project: str) -> str:
        return json.dumps(
            {
                "type": "service_account",
                "project_id": project,
                "private_key_id": "0123456789abcdef",
                "private_key": self.rsa,
                "client_email": f"push@{project}.iam.gserviceaccount.com",
                "client_id": "1234567890",
            }
        )


@dataclass(frozen=True)
class Group:
    """What the resources of one group share: its PowerAuth application, its NATIVE_APP."""

    index: int
    mat: Material
    env_id: str
    native_ids: list[str]

    @property
    def app_name(self) -> str:
        return f"pa-app-{self.index}"

    @property
    def app_id(self) -> str:
        return f"BENCH_APP_{self.index:04d}"


# ---- the arguments of each kind: (group, copy within the group) -> (name, arguments) ------------
Arguments = Callable[[Group, int], tuple[str, dict[str, Any]]]


def _application(g: Group, _k: int) -> tuple[str, dict[str, Any]]:
    # Roles are left to the group's ApplicationRoles (an Application's `roles` is the exact set,
    # so declaring both would make each undo the other on every run).
    return g.app_name, {"application_id": g.app_id}


def _roles(g: Group, _k: int) -> tuple[str, dict[str, Any]]:
    return f"pa-roles-{g.index}", {"roles": ["ROLE_USER", "ROLE_ADMIN", f"ROLE_GROUP_{g.index}"]}


def _callback(g: Group, k: int) -> tuple[str, dict[str, Any]]:
    return f"pa-callback-{g.index}-{k}", {
        "callback_name": f"hook-{g.index}-{k}",
        "type": ("OPERATION_STATUS_CHANGE", "REGISTRATION_STATUS_CHANGE")[k],
        "callback_url": f"https://hooks.example.com/powerauth/{g.index}/{k}",
        "attributes": (["userId", "status"], ["activationId", "userId"])[k],
        "http_basic": {"username": "hook", "password": f"hook-password-{g.index}"} if k == 0 else None,
    }


def _apns(g: Group, _k: int) -> tuple[str, dict[str, Any]]:
    return f"pa-apns-{g.index}", {
        "topic": f"com.example.bench{g.index}",
        "key_id": "ABCDE12345",
        "team_id": "TEAM123456",
        "environment": "production",
        "private_key": g.mat.p8_key(2 * g.index),
    }


def _fcm(g: Group, _k: int) -> tuple[str, dict[str, Any]]:
    return f"pa-fcm-{g.index}", {"service_account_json": g.mat.service_account(f"bench-{g.index}")}


def _hms(g: Group, _k: int) -> tuple[str, dict[str, Any]]:
    return f"pa-hms-{g.index}", {
        "project_id": f"hms-project-{g.index}",
        "app_id": f"10{g.index:06d}",
        "client_id": f"20{g.index:06d}",
        "client_secret": f"hms-client-secret-{g.index}",
    }


def _push_credential(g: Group, k: int) -> tuple[str, dict[str, Any]]:
    ctype = CRED_TYPES[(2 * g.index + k) % 3]
    args: dict[str, Any] = {"environment_id": g.env_id, "application_id": g.native_ids[g.index], "type": ctype}
    if ctype == "APNS":
        args.update(key="KEYID12345", team_id="TEAM123456", token=g.mat.p8_key(2 * g.index + 1))
    elif ctype == "FCM_HTTP_V1":
        args["google_service_account_credentials"] = g.mat.service_account(f"bench-p1-{g.index}")
    else:
        args.update(client_id=f"30{g.index:06d}", client_secret=f"hms-p1-secret-{g.index}")
    return f"p1-cred-{g.index}-{ctype.lower()}", args


def _pingid_application(g: Group, _k: int) -> tuple[str, dict[str, Any]]:
    rnd = random.Random(1000 + g.index)
    return f"pingid-app-{g.index}", {
        "application_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
        "app_name": f"Bench App {g.index}",
        "app_enabled": True,
        "fcm_sender_id": f"{900000 + g.index}",
        "fcm_server_key": f"AAAAbench{g.index:06d}key" if g.index % 2 == 0 else None,
    }


#: Registry token -> the arguments of its objects.
ARGUMENTS: dict[str, Arguments] = {
    APPLICATION: _application,
    "powerauth:ApplicationRoles": _roles,
    CALLBACK: _callback,
    "powerauth:ApnsConfig": _apns,
    "powerauth:FcmConfig": _fcm,
    "powerauth:HmsConfig": _hms,
    PUSH_CREDENTIAL: _push_credential,
    "pingid:Application": _pingid_application,
}
#: Objects of a kind in one group (default 1): an operation and a registration callback, two
#: push credentials of rotating types.
PER_GROUP = {CALLBACK: 2, PUSH_CREDENTIAL: 2}


def label(kind: registry.ResourceKind) -> str:
    """A kind as the spec, the results and bench/README name it: `powerauth.Application`."""
    return f"{kind.api}.{kind.name}"


def benched() -> tuple[registry.ResourceKind, ...]:
    """The registry's resources but its one-off migration steps (the legacy FCM retirement), which
    are no object a stack keeps N of."""
    return tuple(kind for kind in registry.kinds() if not kind.migration)


def _pattern() -> tuple[tuple[registry.ResourceKind, int], ...]:
    tokens = {kind.token for kind in benched()}
    if tokens != set(ARGUMENTS):
        raise RuntimeError(
            "bench/stackgen.py must generate arguments for exactly the registry's resources: "
            f"missing {sorted(tokens - set(ARGUMENTS))}, unknown {sorted(set(ARGUMENTS) - tokens)}"
        )
    return tuple((kind, k) for kind in benched() for k in range(PER_GROUP.get(kind.token, 1)))


#: One group: (kind, copy) per slot, in the registry's order (applications first). N resources
#: are the first N slots of consecutive groups.
PATTERN = _pattern()
GROUP_SIZE = len(PATTERN)


def native_apps_needed(n: int) -> int:
    """Groups that hold a push credential: each needs a NATIVE_APP."""
    return sum(1 for i in range(n) if PATTERN[i % GROUP_SIZE] == (registry.by_token(PUSH_CREDENTIAL), 0))


def native_apps(emu: Emulator, count: int) -> list[str]:
    """`count` NATIVE_APP applications for push credentials: the seeded ones, then new ones."""
    env = emu.info["pingone"]["environmentId"]
    apps = emu.pingone("GET", f"/environments/{env}/applications").json()["_embedded"]["applications"]
    ids = [a["id"] for a in apps if a.get("type") == "NATIVE_APP"]
    for k in range(len(ids), count):
        app = {"name": f"Bench Native App {k}", "type": "NATIVE_APP", "protocol": "OPENID_CONNECT"}
        r = emu.pingone("POST", f"/environments/{env}/applications", json=app)
        r.raise_for_status()
        ids.append(r.json()["id"])
    return ids[:count]


def prepare_emulator(emu: Emulator, n: int, latency_ms: int) -> list[str]:
    """Reset; NATIVE_APP parents for the push credentials (2 seeded + created); latency on."""
    emu.reset()
    ids = native_apps(emu, native_apps_needed(n))
    emu.faults(latencyMs=latency_ms, probability=0)
    emu.zero()
    return ids


def make_spec(n: int, native_ids: list[str], env_id: str, mat: Material, mode: str = "real") -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for i in range(n):
        index, slot = divmod(i, GROUP_SIZE)
        kind, copy = PATTERN[slot]
        group = Group(index, mat, env_id, native_ids)
        name, args = ARGUMENTS[kind.token](group, copy)
        r: dict[str, Any] = {"index": i, "kind": label(kind), "group": index, "name": name, "args": args}
        # The PowerAuth children take application_id from their application's output.
        if kind.api == "powerauth" and kind.token != APPLICATION:
            r["parent"], r["parent_app_id"] = group.app_name, group.app_id
        resources.append(r)
    callback = label(registry.by_token(CALLBACK))
    target = next(r for r in resources if r["kind"] == callback)
    change = {"resource": target["name"], "args": {"callback_url": target["args"]["callback_url"] + "?v=2"}}
    return {"mode": mode, "n": n, "resources": resources, "change": change}


def apply_change(spec: dict[str, Any]) -> dict[str, Any]:
    spec = json.loads(json.dumps(spec))
    for r in spec["resources"]:
        if r["name"] == spec["change"]["resource"]:
            r["args"].update(spec["change"]["args"])
            r["rev"] = 1
    return spec


def mix(spec: dict[str, Any]) -> dict[str, int]:
    """How many resources of each kind (push credentials by type)."""
    credential = label(registry.by_token(PUSH_CREDENTIAL))
    out: dict[str, int] = {}
    for r in spec["resources"]:
        key = r["kind"] + (f" {r['args']['type']}" if r["kind"] == credential else "")
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))
