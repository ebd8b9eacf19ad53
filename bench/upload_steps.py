"""Where an upload sync's database time goes, per 1000 events, without the network:
`python -m bench.upload_steps [--n 1000000] [--requests 200]`.

Runs the engine's own database steps for each request, in order, on a copy of the
benchmark queue: find the due events, build their records (the reader connection),
claim them, record them as delivered (the writer, committed). Prints milliseconds per
1000 events for each step and CPU for all; bench/limits.md explains the figures.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.data import copy_db, default_workdir, queue_db
from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.sync.ledger import DUE_PENDING, SyncReader, SyncStore

STEPS = ("find due", "build records", "claim", "record delivered")


def measure(template: Path, workdir: Path, requests: int, batch: int = 1000) -> dict[str, float]:
    """ms per 1000 events of each step (and `cpu`: process CPU of all steps)."""
    db = copy_db(template, workdir / "upload-steps.sqlite")
    reader, store = SyncReader(db), SyncStore(db)
    cfg = CleverTapConfig(project_id="BENCH")
    names = (cfg.organic_event, cfg.inorganic_event)
    spent = dict.fromkeys(STEPS, 0.0)
    events, after = 0, 0
    cpu = time.process_time()
    try:
        run = store.start_run("sync", "upload")
        for _ in range(requests):
            t = time.perf_counter()
            ids = reader.due_rowids(DUE_PENDING, after, batch)
            spent["find due"] += time.perf_counter() - t
            if not ids:
                break
            after = ids[-1]
            t = time.perf_counter()
            prepared = reader.prepare_upload(ids, DUE_PENDING, names)
            spent["build records"] += time.perf_counter() - t
            t = time.perf_counter()
            claim = store.claim_prepared(prepared, DUE_PENDING, run)
            spent["claim"] += time.perf_counter() - t
            t = time.perf_counter()
            store.record(
                [], run_id=run, mode="upload", delivered_ids=claim.plain_ids, clear_errors=False
            )
            spent["record delivered"] += time.perf_counter() - t
            events += len(claim)
    finally:
        cpu = time.process_time() - cpu
        reader.close()
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    if not events:
        raise RuntimeError("no event was due in the benchmark queue")
    per = 1000 / events
    return {**{k: v * 1000 * per for k, v in spent.items()}, "cpu": cpu * 1000 * per}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.upload_steps", description=__doc__)
    p.add_argument("--n", type=int, default=1_000_000, help="users in the queue")
    p.add_argument("--requests", type=int, default=200, help="requests of 1000 events to time")
    args = p.parse_args(argv)
    workdir = default_workdir()
    figures = measure(queue_db(args.n, workdir), workdir, args.requests)
    for name, ms in figures.items():
        print(f"{name:>18}: {ms:6.2f} ms per 1000 events")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
