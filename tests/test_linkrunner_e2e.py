"""Attributed in Linkrunner -> delivered to CleverTap, without a click: the watch loop
pulls from the Linkrunner emulator and sends to the CleverTap emulator, over real HTTP."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace

from lr_desktop.clevertap.config import CleverTapConfig, Secrets, save_config
from lr_desktop.clevertap.credentials import save_secrets
from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.emulators.linkrunner import LinkrunnerEmulator
from lr_desktop.linkrunner.pull import WatchCycle, watch
from lr_desktop.linkrunner.settings import save_api_key, update_settings
from lr_desktop.store import connect, transaction

PROJECT, PASSCODE, TOKEN = "E2E-ACC-1", "e2e-passcode-K2", "e2e-token-P9"
LR_KEY = "lr-e2e-key-Z4"


def configure(db_path, ct_url: str, lr_url: str) -> None:
    cfg = CleverTapConfig(
        project_id=PROJECT, endpoint=ct_url, backoff_base=0.01, backoff_cap=0.05, timeout=5.0
    )
    conn = connect(db_path)
    with transaction(conn):
        save_config(conn, replace(cfg, secrets=Secrets()))
        update_settings(conn, base_url=lr_url)
    conn.close()
    save_secrets(PROJECT, Secrets(project_token=TOKEN, passcode=PASSCODE))
    save_api_key(LR_KEY)  # the keyring, as the Integrations > Linkrunner form stores it


def test_new_attributions_reach_clevertap_without_a_click(db_path):
    with (
        CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as ct,
        LinkrunnerEmulator(LR_KEY, seed=9, users=150, rate_limit=None) as lr,
    ):
        configure(db_path, ct.url, lr.url)
        stop = threading.Event()
        cycles: list[WatchCycle] = []
        second_batch_delivered = threading.Event()
        failures: list[str] = []

        def on_report(cycle: WatchCycle) -> None:
            cycles.append(cycle)
            if cycle.error:
                failures.append(cycle.error)
                stop.set()
            elif len(cycles) == 1:
                lr.add_users(40)  # attributed in Linkrunner after the first round
            elif cycle.report and cycle.report.imported == 0 and len(cycles) > 2:
                second_batch_delivered.set()
                stop.set()

        thread = threading.Thread(
            target=watch,
            kwargs=dict(
                db_path=db_path,
                interval_seconds=0.05,
                send_automatically=True,
                stop=stop,
                on_report=on_report,
            ),
        )
        thread.start()
        try:
            assert second_batch_delivered.wait(120) or failures, "watch never settled"
        finally:
            stop.set()
            thread.join(30)
        assert not failures, failures

        users = lr.users()
        with_id = {
            u["user_data"]["clevertap_id"]: u for u in users if u["user_data"]["clevertap_id"]
        }
        events = ct.events(account=PROJECT)
        per_id = Counter(e["objectId"] for e in events)
        assert set(per_id) == set(with_id)  # every user with a CleverTap ID, nobody else
        assert set(per_id.values()) == {1}  # exactly once
        for e in events:
            u = with_id[e["objectId"]]
            organic = u["ad_channel"] == "ORGANIC"
            assert e["evtName"] == ("organic_install" if organic else "inorganic_install")
            assert e["evtData"]["utm_source"] == ("organic" if organic else u["ad_channel"].lower())
        assert sum(c.summary.delivered for c in cycles if c.summary) == len(with_id)
        conn = connect(db_path)
        statuses = dict(conn.execute("SELECT status, count(*) FROM installs GROUP BY status"))
        conn.close()
        assert statuses == {"delivered": len(with_id), "waiting_id": len(users) - len(with_id)}
