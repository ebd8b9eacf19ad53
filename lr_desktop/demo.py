"""The demo: a throw-away database of sample users, the bundled CleverTap emulator on
127.0.0.1 and demo credentials (kept in memory; never written to the keyring).

New attributions arrive on their own: the bundled Linkrunner emulator (127.0.0.1, demo
key in memory only) attributes a few users every few seconds, and the demo database's
Linkrunner settings point at it with a short automatic-pull interval. Automatic mode
(pull and "Send automatically") starts off, so the user presses Sync first; after that
sync the window offers to turn it on (`gui/demo_automatic.py`). `automatic=True` starts
with it on (tests)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from lr_desktop.clevertap.config import CleverTapConfig, Secrets, save_config
from lr_desktop.emulators.clevertap import DEMO_ACCOUNT, CleverTapEmulator, Faults
from lr_desktop.emulators.linkrunner import DEMO_KEY, LinkrunnerEmulator
from lr_desktop.linkrunner.settings import update_settings
from lr_desktop.sampledata import generate
from lr_desktop.store import connect, transaction
from lr_desktop.store.queue import upsert_attributions

DEMO_USERS = 3000
PULL_INTERVAL_SECONDS = 15.0
LINKRUNNER_USERS = 20  # already attributed in Linkrunner: the first pull brings them in
TRICKLE_USERS = 3  # new Linkrunner attributions every TRICKLE_EVERY seconds
TRICKLE_EVERY = 12.0


@dataclass
class DemoSession:
    users: int = DEMO_USERS
    seed: int = 7
    latency: float = 0.15  # per request, so a newcomer can watch the progress
    batch_size: int = 50
    directory: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="lr-desktop-demo-"))
    )
    pull_interval_seconds: float = PULL_INTERVAL_SECONDS
    linkrunner_users: int = LINKRUNNER_USERS
    trickle_users: int = TRICKLE_USERS
    trickle_every: float = TRICKLE_EVERY
    emulator: CleverTapEmulator | None = None
    config: CleverTapConfig | None = None
    linkrunner: LinkrunnerEmulator | None = None
    linkrunner_key: str = DEMO_KEY  # memory only: the window gets it, the keyring never does
    # automatic pull and send on from the start (LR_DEMO_AUTOMATIC=1: scripted demos, tests)
    automatic: bool = field(default_factory=lambda: os.environ.get("LR_DEMO_AUTOMATIC") == "1")

    @property
    def db_path(self) -> Path:
        return self.directory / "demo.sqlite"

    def start(self) -> DemoSession:
        project_id, passcode, token = DEMO_ACCOUNT
        self.emulator = CleverTapEmulator(
            {project_id: (passcode, token)}, faults=Faults(latency=self.latency)
        ).start()
        self.config = CleverTapConfig(
            project_id=project_id,
            region="EU",
            endpoint=self.emulator.url,
            partner_name="linkrunner",  # the demo emulator's whitelisted partner, shown in the form
            batch_size=self.batch_size,
            send_automatically=self.automatic,
            secrets=Secrets(project_token=token, passcode=passcode),
        )
        self.linkrunner = LinkrunnerEmulator(
            self.linkrunner_key, seed=self.seed, users=self.linkrunner_users, days=2
        ).start()
        conn = connect(self.db_path)
        try:
            with transaction(conn):
                upsert_attributions(conn, generate(self.users, seed=self.seed), source="demo")
                save_config(conn, self.config)  # settings only: save_config never stores secrets
                update_settings(
                    conn,
                    base_url=self.linkrunner.url,
                    pull_interval_minutes=self.pull_interval_seconds / 60,
                    auto_pull=self.automatic,
                )
        finally:
            conn.close()
        self.linkrunner.start_trickle(self.trickle_users, self.trickle_every)
        return self

    def stop(self) -> None:
        if self.linkrunner is not None:
            self.linkrunner.stop()
            self.linkrunner = None
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> DemoSession:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
