"""``daifuku bench generate`` and ``daifuku bench run``: the benchmark from the command line.

Each scale has its own database, never the application's: SQLite in ``var/bench-<scale>/``,
PostgreSQL in ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/daifuku_bench``).
``generate`` empties that database first, so it can be run again at will.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from bench.scales import DEFAULT_PG_URL, SCALES, configure_environment, data_dir


def register(subparsers: Any) -> None:
    bench = subparsers.add_parser("bench", help="benchmark: generate large data, run the workloads")
    sub = bench.add_subparsers(dest="bench_command", required=True, metavar="BENCH_COMMAND")

    generate = sub.add_parser("generate", help="fill the benchmark database of a scale (emptied first)")
    generate.add_argument("--scale", choices=list(SCALES), default="small")
    generate.add_argument("--seed", type=int, default=None, help="same seed, same data (default 2026)")
    generate.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    generate.set_defaults(func=cmd_generate)

    run = sub.add_parser("run", help="measure the workloads and write docs/performance.md")
    run.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    run.add_argument("--scale", choices=list(SCALES), default="small")
    run.add_argument("--repeat", type=int, default=20, help="timed runs per page workload (after warm-up)")
    run.add_argument("--api-seconds", type=float, default=30.0, help="length of the API load test")
    run.add_argument("--api-clients", type=int, default=10)
    run.add_argument(
        "--api-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes for the API load test (default: one per CPU core)",
    )
    run.add_argument("--no-api", dest="api", action="store_false", help="skip the API load test")
    run.add_argument(
        "--no-transfers", dest="transfers", action="store_false", help="skip the import and export workloads"
    )
    run.add_argument("--profile", action="store_true", help="add a cProfile summary per workload")
    run.set_defaults(func=cmd_run)


def _reset_database(db: str, scale: str) -> None:
    """Start from nothing: delete the SQLite files, or recreate the PostgreSQL schema."""
    if db == "sqlite":
        directory = data_dir(scale)
        for name in ("daifuku.sqlite3", "daifuku.sqlite3-wal", "daifuku.sqlite3-shm", "huey.sqlite3"):
            (directory / name).unlink(missing_ok=True)
        return
    import psycopg

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL)
    base, name = url.rsplit("/", 1)
    if not name.startswith("daifuku_bench"):
        from daifuku.cli import CliError

        raise CliError(f"refusing to empty {name!r}: the benchmark database's name starts with daifuku_bench")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def cmd_generate(args: argparse.Namespace) -> int:
    label = configure_environment(args.db, args.scale)
    _reset_database(args.db, args.scale)
    from daifuku.cli import _setup

    _setup()
    from django.core.management import call_command

    from bench import generator
    from daifuku.core import context

    print(f"Benchmark database: {label} (emptied)", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    scale = SCALES[args.scale]
    seed = generator.SEED if args.seed is None else args.seed
    print(f"Generating scale {scale.name} (seed {seed}): {scale.companies:,} companies, "
          f"{scale.contacts:,} contacts, {scale.deals:,} deals, {scale.activities:,} activities, "
          f"{scale.tasks:,} tasks, {scale.quotes:,} quotes…", flush=True)  # fmt: skip
    with context.acting(via="cli"):
        result = generator.generate(scale=scale, seed=seed, log=lambda m: print(m, flush=True))
    print(
        f"Wrote {result.users} users in {result.teams} teams, {result.companies:,} companies, "
        f"{result.contacts:,} contacts, {result.deals:,} deals, {result.activities:,} activities "
        f"({result.timeline_entries:,} timeline rows), {result.tasks:,} tasks, "
        f"{result.quotes:,} quotes ({result.quote_lines:,} lines), {result.search_documents:,} search rows "
        f"in {result.seconds:.1f} s "
        f"({result.cpu_seconds:.1f} s CPU in this process; load average {os.getloadavg()[0]:.1f})."
    )
    print(f"Users' password: {generator.PASSWORD}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    configure_environment(args.db, args.scale)
    from daifuku.cli import CliError, _setup

    if args.db == "sqlite" and not (data_dir(args.scale) / "daifuku.sqlite3").exists():
        raise CliError(f"no benchmark data for scale {args.scale}: run `daifuku bench generate --scale "
                       f"{args.scale}` first")  # fmt: skip
    _setup()
    from bench import runner

    results = runner.run(
        db=args.db,
        scale=args.scale,
        repeat=args.repeat,
        api_seconds=args.api_seconds if args.api else 0,
        api_clients=args.api_clients,
        api_workers=args.api_workers,
        profile=args.profile,
        transfers=args.transfers,
        log=lambda m: print(m, flush=True),
    )
    path = runner.save(results)
    doc = runner.write_markdown()
    print(f"Results: {path}\nPage: {doc}", file=sys.stderr)
    return 0
