"""Benchmark scales and where each scale's database lives."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/daifuku_bench"


@dataclass(frozen=True)
class Scale:
    """How much data one scale holds: deals, activities, tasks and quotes (見積, about half the deals)."""

    name: str
    teams: int
    reps_per_team: int
    companies: int
    contacts: int
    deals: int = 0
    activities: int = 0
    tasks: int = 0
    quotes: int = 0


SCALES: dict[str, Scale] = {
    "small": Scale(
        "small",
        teams=4,
        reps_per_team=4,
        companies=200,
        contacts=1000,
        deals=600,
        activities=3_000,
        tasks=200,
        quotes=300,
    ),
    "100k": Scale(
        "100k",
        teams=20,
        reps_per_team=8,
        companies=20_000,
        contacts=100_000,
        deals=30_000,
        activities=300_000,
        tasks=20_000,
        quotes=15_000,
    ),
    "1m": Scale(
        "1m",
        teams=20,
        reps_per_team=8,
        companies=200_000,
        contacts=1_000_000,
        deals=300_000,
        activities=3_000_000,
        tasks=200_000,
        quotes=150_000,
    ),
}


def data_dir(scale: str) -> Path:
    """The SQLite data directory of a scale: var/bench-<scale> in the checkout (never the app's var/)."""
    return REPO_ROOT / "var" / f"bench-{scale}"


def configure_environment(db: str, scale: str) -> str:
    """Point Django's settings at the benchmark database before ``django.setup()``; return a label.

    SQLite: ``var/bench-<scale>/daifuku.sqlite3``. PostgreSQL: ``BENCH_DATABASE_URL`` or
    ``postgres://postgres@127.0.0.1:5432/daifuku_bench`` (one database, regenerated per scale).
    """
    os.environ["DAIFUKU_DATA_DIR"] = str(data_dir(scale))
    os.environ["HUEY_IMMEDIATE"] = "1"  # generated data never queues background work
    if db == "postgres":
        url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL)
        os.environ["DATABASE_URL"] = url
        return url.rsplit("@", 1)[-1]
    os.environ.pop("DATABASE_URL", None)
    return str(data_dir(scale) / "daifuku.sqlite3")
