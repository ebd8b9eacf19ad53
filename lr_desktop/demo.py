"""The demo: a throw-away database of sample users, the bundled CleverTap emulator on
127.0.0.1 and demo credentials (kept in memory; never written to the keyring)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from lr_desktop.clevertap.config import CleverTapConfig, Secrets, save_config
from lr_desktop.emulators.clevertap import DEMO_ACCOUNT, CleverTapEmulator, Faults
from lr_desktop.sampledata import generate
from lr_desktop.store import connect, transaction
from lr_desktop.store.queue import upsert_attributions

DEMO_USERS = 3000


@dataclass
class DemoSession:
    users: int = DEMO_USERS
    seed: int = 7
    latency: float = 0.15  # per request, so a newcomer can watch the progress
    batch_size: int = 50
    directory: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="lr-desktop-demo-"))
    )
    emulator: CleverTapEmulator | None = None
    config: CleverTapConfig | None = None

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
            batch_size=self.batch_size,
            secrets=Secrets(project_token=token, passcode=passcode),
        )
        conn = connect(self.db_path)
        try:
            with transaction(conn):
                upsert_attributions(conn, generate(self.users, seed=self.seed), source="demo")
                save_config(conn, self.config)  # settings only: save_config never stores secrets
        finally:
            conn.close()
        return self

    def stop(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> DemoSession:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
