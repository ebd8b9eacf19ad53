"""docs/benchmarks.md from the results of one run.

Every ratio is shown as a pair: this project's side and the peer or floor it is judged
against, both measured in the same run, with what that peer or floor is written beside
it, the target and met/missed; a missed target gets a "what limits it" line pointing to
its profile. Results without explicit `pairs` get one derived from `ratio`.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from bench.common import BenchResult, Measurement, Pair, git_revision, machine_info

COMMAND = ".venv/bin/python -m bench"
TEN_MILLION_PREFIX = "ten_million"

# What a peer or floor is, by a word of its measurement label (for results that do not
# define their own): the first match wins, so the narrower words come first.
DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "no-index floor",
        "csv + sqlite3.executemany into the table without any secondary index, one "
        "transaction: the bottom no importer that keeps the indexes can reach",
    ),
    (
        "fair floor",
        "drops the same secondary indexes `lr-desktop import` drops, csv + "
        "sqlite3.executemany in one transaction, re-creates them: what a bulk loader can do",
    ),
    (
        "floor: csv + sqlite3.executemany",
        "plain csv + sqlite3.executemany of the same columns into the migrated table, "
        "one transaction, no validation",
    ),
    ("sqlite-utils", "`sqlite-utils insert --csv` into the same typed table"),
    (
        "bare httpx",
        "the engine's exact requests, pre-built, sent by an httpx AsyncClient with the same "
        "concurrency and connection limits to the same emulator; it keeps no state",
    ),
    ("QSqlQueryModel", "Qt's C++ SQL model on the same query, in a default QTableView"),
    (
        "empty QMainWindow",
        "`import PySide6.QtWidgets` and an empty QMainWindow shown, offscreen",
    ),
)


def definition(label: str, r: BenchResult) -> str:
    if label in r.definitions:
        return r.definitions[label]
    for word, text in DEFINITIONS:
        if word.lower() in label.lower():
            return text
    return ""


def pairs(r: BenchResult) -> list[Pair]:
    """The result's pairs; else one from its ratio and its first two measurements."""
    if r.pairs:
        return r.pairs
    if r.ratio is None or len(r.measurements) < 2:
        return []
    own, peer = r.measurements[0], r.measurements[1]
    return [
        Pair(
            r.ratio_label or "ratio",
            own.label,
            peer.label,
            definition(peer.label, r),
            r.target,
            r.ratio,
            r.met,
        )
    ]


def _fmt_s(seconds: float) -> str:
    if math.isnan(seconds):
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:,.1f} ms"
    if seconds >= 600:
        return f"{seconds / 60:,.1f} min"
    return f"{seconds:,.2f} s"


def _fmt_rate(rate: float) -> str:
    return "–" if math.isnan(rate) else f"{rate:,.0f}/s"


def _met(met: bool | None) -> str:
    return {True: "**met**", False: "**missed**", None: "not judged"}[met]


INFORMATION = "information"  # a Pair's target when the ratio is shown, not judged


def _pair_met(p: Pair) -> str:
    return INFORMATION if p.target == INFORMATION else _met(p.met)


def anchor(r: BenchResult) -> str:
    return f"profile-{r.name.replace('_', '-')}"


def _verdict(r: BenchResult, met: bool | None) -> str:
    text = _met(met)
    if met is False:
        text += f" ([what limits it](#{anchor(r) if r.profile else 'what-limits-it'}))"
    return text


def _side(r: BenchResult, label: str) -> str:
    try:
        m = r.get(label)
    except KeyError:
        return label
    text = _fmt_s(m.median)
    if m.items:
        text += f" ({_fmt_rate(m.rate)})"
    return f"{label}: {text}"


def summary_table(results: list[BenchResult]) -> list[str]:
    lines = [
        "| benchmark | N | this project (median) | against (median) — what it is | ratio | "
        "target | result |",
        "|---|---:|---|---|---:|---|---|",
    ]
    for r in results:
        if r.error and not r.measurements:
            first = r.error.strip().splitlines()[0] if r.error.strip() else "?"
            lines.append(f"| {r.title} | {r.n:,} | – | – | – | {r.target} | not run: {first} |")
            continue
        ps = pairs(r)
        if all(p.target == INFORMATION for p in ps):  # judged on its checks: a limit
            shown = "<br>".join(f"{w}: {v}" for w, v, _ok in r.checks[:6]) or "see below"
            lines.append(
                f"| {r.title} | {r.n:,} | {shown} | the limit in the target | – | {r.target} | "
                f"{_verdict(r, r.met)} |"
            )
        for p in ps:
            info = p.target == INFORMATION
            what = f" ({p.what})" if len(ps) > 1 or info else ""
            title = r.title if p is ps[0] and not info else "″"
            ratio = f"{p.ratio:.2f}×" if p.ratio is not None else "–"
            peer = _side(r, p.peer) + (f" — {p.definition}" if p.definition else "")
            verdict = INFORMATION if info else _verdict(r, p.met)
            lines.append(
                f"| {title}{what} | {r.n:,} | {_side(r, p.own)} | {peer} | {ratio} | "
                f"{p.target} | {verdict} |"
            )
    return lines


def _measurements(ms: list[Measurement]) -> list[str]:
    out = ["", "| measured | runs (s) | median | rate | details |", "|---|---|---:|---:|---|"]
    for m in ms:
        runs = ", ".join(f"{s:.3f}" for s in m.samples)
        extra = ", ".join(
            f"{k} {v:,.0f}"
            if isinstance(v, int | float) and not isinstance(v, bool) and abs(v) >= 10
            else f"{k} {v}"
            for k, v in m.extra.items()
            if k not in ("error",) and v is not None
        )
        out.append(f"| {m.label} | {runs} | {_fmt_s(m.median)} | {_fmt_rate(m.rate)} | {extra} |")
    return out


def detail(r: BenchResult) -> list[str]:
    out = [f"### {r.title}", "", f"Target: {r.target}. Result: {_met(r.met)}."]
    if r.error:
        out += ["", "Could not run everything:", "", "```", r.error.strip()[-1500:], "```"]
    ps = pairs(r)
    if ps:
        out += [
            "",
            "| pair | this project | against | what it is | ratio | target | result |",
            "|---|---|---|---|---:|---|---|",
        ]
        for p in ps:
            ratio = f"{p.ratio:.2f}×" if p.ratio is not None else "–"
            out.append(
                f"| {p.what} | {_side(r, p.own)} | {_side(r, p.peer)} | {p.definition or '–'} | "
                f"{ratio} | {p.target} | {_pair_met(p)} |"
            )
    if r.measurements:
        out += _measurements(r.measurements)
    if r.checks:
        out += ["", "| check | measured | result |", "|---|---|---|"]
        out += [f"| {what} | {value} | {_met(ok)} |" for what, value, ok in r.checks]
    if r.notes:
        out += [""] + [f"- {n}" for n in r.notes]
    if r.met is False:
        where = "the profile below" if r.profile else "not profiled in this run"
        out += ["", f"**What limits it:** {r.limits or 'see bench/limits.md'} ({where})."]
    if r.profile:
        out += [
            "",
            f'<details id="{anchor(r)}"><summary>Profile ({r.title})</summary>',
            "",
            "```",
            r.profile.strip(),
            "```",
            "",
            "</details>",
        ]
    out.append("")
    return out


def ten_million_section(results: list[BenchResult], disk: str) -> list[str]:
    big = [r for r in results if r.name.startswith(TEN_MILLION_PREFIX)]
    if not big:
        return []
    out = [
        "## Ten million users",
        "",
        "`python -m bench --ten-million` (the events table and the Overview at N and N/10 on "
        "queues generated straight into the database, a full upload sync at both sizes, "
        "the import at N).",
        "",
    ]
    if disk:
        out += [f"Disk: {disk}.", ""]
    out += ["| benchmark | check | measured | result |", "|---|---|---|---|"]
    for r in big:
        for what, value, ok in r.checks or [(r.target, r.error or "–", r.met)]:
            out.append(f"| {r.title} | {what} | {value} | {_met(ok)} |")
    return [*out, ""]


def write(
    path: Path,
    results: list[BenchResult],
    *,
    argv: list[str],
    elapsed: float,
    limits: str,
    generator: str,
    note: str = "",
    conditions: str = "",
    disk: str = "",
) -> None:
    info = machine_info()
    lines = [
        "# Benchmarks against peers and limits",
        "",
        "Generated by the benchmark suite; re-run with one command:",
        "",
        "```bash",
        f"{COMMAND}                 # everything at full size (about 40 minutes on 2 cores)",
        f"{COMMAND} --ten-million   # and the ten-million-user runs (hours; see that section)",
        f"{COMMAND} --quick         # small N, a few minutes (what CI-sized machines can afford)",
        f"{COMMAND} --only sync_upload --n 200000 --reps 3   # one benchmark, own size",
        "```",
        "",
        f"This run: `{COMMAND}{' ' + ' '.join(argv) if argv else ''}` on "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, revision {git_revision()}; "
        + (note or f"took {elapsed / 60:.1f} min.")
        + (f" {conditions}" if conditions else "")
        + f" Data: {generator} (seed 7: ~40% organic, six ad "
        "networks with several campaigns each, ~10% without a CleverTap ID, ~0.4% IDs "
        "CleverTap rejects).",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    lines += ["", "## Summary", ""]
    lines += summary_table(results)
    lines += [""]
    lines += ten_million_section(results, disk)
    lines += ["## Details", ""]
    for r in results:
        lines += detail(r)
    lines += ["## What limits it", "", limits.strip() or "Every target was met.", ""]
    lines += [
        "## How it is measured",
        "",
        "- Every pair runs in the same invocation, alternating sides, several repetitions; "
        "the tables show every run and the median. Ratios use medians; each ratio's peer "
        "or floor is defined beside it.",
        "- Import: each side is a child process on a fresh copy of the same migrated, empty "
        "database; its peak RSS comes from `wait4`.",
        "- Sync: the CleverTap emulator runs in its own process (`run_in_subprocess`), reset "
        "before every run, keeping no event bodies; added latency is the emulator's "
        "`latency` fault. The bare loop sends the engine's exact requests (same records, "
        "same chunks, same JSON encoding), pre-built, with the same concurrency. CPU per "
        "1,000 events is each process's own (`getrusage`).",
        "- GUI: offscreen Qt in child processes. Table times run until the visible rows "
        "are painted (`viewport().repaint()`); memory is RSS growth of the process from "
        "before the model was made until it showed the last row. The Overview's first "
        "paint runs from `MainWindow()` until the window is repainted with its numbers.",
        "- Profiles: `bench/profiling.py` samples every Python thread; cProfile for the "
        "single-threaded importer; `python -X importtime` for start-up.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
