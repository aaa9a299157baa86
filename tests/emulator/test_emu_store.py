"""Storage keys: no id, whatever it holds, can name another object's key or a key under another
parent (issue 15, item 9)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from emu_helpers import EmulatorServer
from mfa_push_emulator._store import Store, encode_key
from mfa_push_emulator.app import create_app

HOSTILE = ["VICTIM\x1fX", "VICTIM/X", "VICTIM%2FX", "VICTIM%", "VICTIM\x00X", "%", "/", "", "VICTIM\x1f"]


def test_keys_are_injective_and_children_stay_under_their_parent(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.transaction() as tx:
        tx.put("cb", ("VICTIM", "own"), {"id": "own"})
        for i, parent in enumerate(HOSTILE):
            tx.put("cb", (parent, f"c{i}"), {"id": f"c{i}"})
            tx.put("cb", (parent, "own"), {"id": f"forged{i}"})
        assert tx.list("cb", ("VICTIM",)) == [{"id": "own"}]
        assert tx.get("cb", ("VICTIM", "own")) == {"id": "own"}
        for i, parent in enumerate(HOSTILE):
            assert tx.list("cb", (parent,)) == [{"id": f"c{i}"}, {"id": f"forged{i}"}], parent
    store.close()
    keys = [(a, b) for a in HOSTILE for b in HOSTILE]
    assert len({encode_key(k) for k in keys}) == len(keys)
    assert encode_key(("a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b", "11111111-2222-4333-8444-555555555555")) == (
        "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b/11111111-2222-4333-8444-555555555555"
    )  # UUID keys are what earlier versions stored


def test_a_callback_of_a_lookalike_application_is_not_listed_under_the_victim(
    server: EmulatorServer, pa: httpx.Client
) -> None:
    assert pa.post("/admin/applications", json={"id": "VICTIM"}).status_code == 200
    # The API refuses such ids today; a data dir of an earlier version may hold one.
    with server.app.state.runtime.store.transaction() as tx:
        tx.put("pa_app", "VICTIM\x1fX", {**tx.get("pa_app", "VICTIM"), "id": "VICTIM\x1fX"})  # type: ignore[dict-item]
    callback = {"name": "n", "type": "OPERATION_STATUS_CHANGE", "callbackUrl": "https://h.example.com/"}
    created = pa.post("/v2/admin/applications/VICTIM%1FX/callbacks", json=callback)
    assert created.status_code == 200, created.text
    assert pa.get("/v2/admin/applications/VICTIM/callbacks").json() == {"callbacks": []}
    assert len(pa.get("/v2/admin/applications/VICTIM%1FX/callbacks").json()["callbacks"]) == 1


@pytest.mark.parametrize("app_id", ["APP", "VICTIM\x1fX"])
def test_callbacks_of_an_earlier_data_dir_are_moved_to_their_keys(tmp_path: Path, app_id: str) -> None:
    create_app(tmp_path).state.runtime.store.close()
    conn = sqlite3.connect(tmp_path / "emulator.sqlite3")
    with conn:
        conn.execute("INSERT INTO docs (kind, key, value) VALUES ('pa_app', ?, '{}')", (app_id,))
        for other in (app_id, "VICTIM"):
            doc = (
                f'{{"applicationId":"{other}","callbackId":"cb-{other}","name":"n","type":"OPERATION_STATUS_CHANGE",'
                '"callbackUrl":"https://h.example.com/","attributes":[],'
                '"auth":{"enabled":false,"username":null,"password":null}}'
            ).replace("\x1f", "\\u001f")
            conn.execute(
                "INSERT INTO docs (kind, key, value) VALUES ('pa_callback', ?, ?)", (f"{other}\x1fcb-{other}", doc)
            )
    conn.close()
    store = create_app(tmp_path).state.runtime.store
    with store.transaction() as tx:
        assert [c["callbackId"] for c in tx.list("pa_callback", (app_id,))] == [f"cb-{app_id}"]
        assert tx.get("pa_callback", (app_id, f"cb-{app_id}")) is not None
    store.close()
