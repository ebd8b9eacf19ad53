"""Seeded, realistic benchmark data: attributed users, a CSV of them, filled queues.

Uses `lr_desktop.sampledata.generate` (about 40% organic, six networks with several
campaigns each, ~10% without a CleverTap ID, a few IDs CleverTap rejects). Falls back
to a small generator of the same shape if that module is missing. Files are cached in
the work directory, keyed by N, seed and schema version, so repeated runs skip the set-up.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import sqlite3
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from lr_desktop.model import (
    ATTRIBUTION_COLUMNS,
    Attribution,
    attribution_values,
    event_id,
    fingerprint,
)
from lr_desktop.store import connect, transaction
from lr_desktop.store.bulk import bulk_load
from lr_desktop.store.queue import _INSERT, _QUEUED, _WAITING
from lr_desktop.store.schema import SCHEMA_VERSION

SEED = 7
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z: fixed so files are identical run to run
_FILL_CHUNK = 200_000  # rows per transaction


def default_workdir() -> Path:
    base = Path(os.environ.get("LR_BENCH_DIR") or f"/tmp/lr-bench-{os.getuid()}")
    base.mkdir(parents=True, exist_ok=True)
    return base


def _fallback(n: int, seed: int) -> Iterator[Attribution]:
    rng = random.Random(seed)
    networks = {
        "META": ("Summer Sale", "Retargeting Q3", "Lookalike 2%"),
        "GOOGLE": ("UAC Installs", "Brand Search", "YouTube Shorts"),
        "TIKTOK": ("Creators Spark", "TopView Launch"),
        "APPLE_SEARCH_ADS": ("Brand Keywords", "Discovery"),
    }
    names = list(networks)
    for i in range(n):
        installed = NOW - int(30 * 86400 * rng.random() ** 1.3)
        r = rng.random()
        ct = None if r < 0.1 else "__" + f"{rng.getrandbits(128):032x}"
        platform = "ios" if rng.random() < 0.38 else "android"
        if rng.random() < 0.4:
            yield Attribution(f"usr_{i:07d}", "ORGANIC", platform, installed, ct)
            continue
        net = rng.choice(names)
        k = rng.randrange(len(networks[net]))
        yield Attribution(
            f"usr_{i:07d}",
            "INORGANIC",
            platform,
            installed,
            ct,
            ad_network=net,
            campaign_id=f"{net[:3].lower()}-{k}",
            campaign_name=networks[net][k],
            attributed_at=installed,
        )


def generate(n: int, seed: int = SEED) -> Iterator[Attribution]:
    try:
        from lr_desktop import sampledata
    except ImportError:
        return _fallback(n, seed)
    return sampledata.generate(n, seed=seed, now=NOW)


def generator_name() -> str:
    try:
        from lr_desktop import sampledata  # noqa: F401
    except ImportError:
        return "bench.data fallback generator"
    return "lr_desktop.sampledata.generate"


def _fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".sync.lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def csv_file(n: int, workdir: Path, seed: int = SEED) -> Path:
    """A Linkrunner-style CSV (the queue's column names) with `n` users; cached."""
    path = workdir / f"users-{n}-s{seed}.csv"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(ATTRIBUTION_COLUMNS)
        for a in generate(n, seed):
            w.writerow(
                ["" if v is None else v for v in (getattr(a, c) for c in ATTRIBUTION_COLUMNS)]
            )
    tmp.replace(path)
    return path


def empty_db(workdir: Path) -> Path:
    """An empty, migrated queue (the schema every import side writes into); cached."""
    path = workdir / f"empty-wal-v{SCHEMA_VERSION}.sqlite"
    if not path.exists():
        tmp = workdir / "empty.tmp.sqlite"
        _fresh(tmp)
        conn = connect(tmp)  # WAL stays set in the file: every side writes in WAL mode
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        tmp.replace(path)
    return path


def _insert_rows(n: int, seed: int) -> Iterator[tuple[object, ...]]:
    """The rows `upsert_attributions` inserts for `n` new users (same values, same
    fingerprints and event ids), without its per-batch lookup of existing users."""
    for a in generate(n, seed):
        values = attribution_values(a)
        fp = fingerprint(a)
        status = _QUEUED if (a.clevertap_id if a.platform else None) else _WAITING
        yield (*values, fp, event_id(a.user_id, fp), "bench", NOW, NOW, status)


def fill_queue(path: Path, n: int, seed: int = SEED) -> None:
    """Insert `n` generated users into the (migrated, empty) queue at `path`: secondary
    indexes and the summary's triggers dropped, the indexes built and the summary counted
    once at the end (the store's bulk load), executemany in transactions of _FILL_CHUNK
    rows. The rows are the ones an import would store."""
    conn = connect(path)
    conn.execute("PRAGMA synchronous = OFF")  # a template: a crash just means rebuild it
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB: the index builds sort in memory
    rows = _insert_rows(n, seed)
    with bulk_load(conn, path, n):
        while True:
            chunk = list(islice(rows, _FILL_CHUNK))
            if not chunk:
                break
            with transaction(conn):
                conn.executemany(_INSERT, chunk)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    Path(str(path) + ".bulk.lock").unlink(missing_ok=True)  # the bulk load's lock file


def queue_db(n: int, workdir: Path, seed: int = SEED) -> Path:
    """A queue holding `n` imported users (what `lr-desktop import` of `csv_file(n)`
    stores, generated straight into the database); cached template."""
    path = workdir / f"queue-{n}-s{seed}-v{SCHEMA_VERSION}.sqlite"
    if path.exists():
        return path
    tmp = workdir / f"queue-{n}.tmp.sqlite"
    _fresh(tmp)
    fill_queue(tmp, n, seed)
    tmp.replace(path)
    return path


def db_size_mb(path: Path) -> float:
    """Size on disk of a database with its WAL and shared-memory files."""
    return (
        sum(
            Path(str(path) + s).stat().st_size
            for s in ("", "-wal", "-shm")
            if Path(str(path) + s).exists()
        )
        / 2**20
    )


def copy_db(template: Path, dest: Path) -> Path:
    """A private copy of a template database (each run mutates its own)."""
    _fresh(dest)
    shutil.copyfile(template, dest)
    return dest


def row_count(path: Path, where: str = "1") -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM installs WHERE {where}").fetchone()[0]
    finally:
        conn.close()
