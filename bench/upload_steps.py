"""Where an upload sync's database time goes, per 1000 events, without the network:
`python -m bench.upload_steps [--n 1000000] [--requests 200]`.

Runs the engine's own database steps for each request, in order, on a copy of the
benchmark queue: find the due events and build their records (the reader connection,
one statement), claim them, record them as delivered (the writer, committed). Prints
the CPU time of each step per 1000 events (CPU, not wall time: on a shared machine it
is the steadier figure), and the process CPU of all, which also counts the WAL
checkpoints the engine runs on a thread of their own; bench/limits.md explains them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.data import copy_db, default_workdir, queue_db
from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.sync.checkpoint import Checkpointer
from lr_desktop.sync.ledger import DUE_PENDING, SyncReader, SyncStore

STEPS = ("find due + build records", "claim", "record delivered")


def measure(template: Path, workdir: Path, requests: int, batch: int = 1000) -> dict[str, float]:
    """ms per 1000 events of each step (and `cpu`: process CPU of all steps)."""
    db = copy_db(template, workdir / "upload-steps.sqlite")
    reader, store = SyncReader(db), SyncStore(db)
    checkpointer = Checkpointer(db, store.conn)  # as in the engine: the WAL copied meanwhile
    cfg = CleverTapConfig(project_id="BENCH")
    names = (cfg.organic_event, cfg.inorganic_event)
    spent = dict.fromkeys(STEPS, 0.0)
    events, after = 0, 0
    cpu = time.process_time()
    try:
        run = store.start_run("sync", "upload")
        for _ in range(requests):
            t = time.thread_time()
            after, prepared = reader.next_upload(DUE_PENDING, after, batch, names)
            spent["find due + build records"] += time.thread_time() - t
            if not after:
                break
            t = time.thread_time()
            claim = store.claim_prepared(prepared, DUE_PENDING, run)
            spent["claim"] += time.thread_time() - t
            t = time.thread_time()
            store.record(
                [], run_id=run, mode="upload", delivered_ids=claim.plain_ids, clear_errors=False
            )
            spent["record delivered"] += time.thread_time() - t
            checkpointer.nudge()
            events += len(claim)
    finally:
        checkpointer.close()
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
        print(f"{name:>24}: {ms:6.2f} ms of CPU per 1000 events")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
