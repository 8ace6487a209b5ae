"""The ``daifuku`` command: serve, demo, createuser, token, manage.

``daifuku serve`` is the embedded default: one process runs the web server (uvicorn) and the
background worker (a Huey consumer in threads). Larger set-ups run ``daifuku serve --no-worker``
behind a proxy and ``daifuku manage run_huey`` separately.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import Any, NoReturn

SETTINGS_MODULE = "daifuku.settings"
# Modules that add subcommands: each has ``register(subparsers)``; its handlers call ``_setup()`` first.
COMMAND_MODULES = ("daifuku.imports.cli", "bench.cli")


class CliError(Exception):
    """A user-facing error: printed as one line to stderr, exit status 2."""


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise CliError(str(exc)) from exc


def _validation_message(exc: Any) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(" ".join(messages) for messages in exc.message_dict.values())
    return " ".join(exc.messages)


# serve


def _migrate_if_needed() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        print(f"Applying {len(plan)} database migration(s)…", file=sys.stderr, flush=True)
        call_command("migrate", interactive=False, verbosity=0)


def _print_logins() -> None:
    from daifuku.demo import DEMO_USERS

    print("Demo logins (user / password / role / team):")
    width = max(len(u.username) for u in DEMO_USERS)
    for user in DEMO_USERS:
        print(
            f"  {user.username:<{width}}  {user.password:<{width + 10}}  {user.role:<14} {user.team or '-'}"
        )


def _load_demo(seed: int | None, companies: int, contacts: int) -> None:
    from daifuku import demo

    seed = demo.DEFAULT_SEED if seed is None else seed
    print(f"Loading demo data (seed {seed})…", flush=True)
    try:
        result = demo.load(seed=seed, companies=companies, contacts=contacts)
    except demo.DemoAlreadyLoaded as exc:
        raise CliError(str(exc)) from exc
    print(f"Created {result.companies} companies and {result.contacts} contacts in {result.seconds:.1f} s.")


def _start_worker() -> Any:
    """Start the Huey consumer's workers and scheduler as threads of this process; None if not possible."""
    from django.conf import settings
    from django.utils.module_loading import autodiscover_modules
    from huey.consumer_options import ConsumerConfig
    from huey.contrib.djhuey import HUEY

    if HUEY.immediate:
        print("Background worker not started: Huey runs tasks immediately (HUEY_IMMEDIATE).")
        return None
    autodiscover_modules("tasks")
    options = {"workers": 2, **settings.HUEY.get("consumer", {}), "worker_type": "thread"}
    config = ConsumerConfig(**options)
    config.validate()
    consumer = HUEY.create_consumer(**config.values)
    # Not consumer.start(): that installs signal handlers, which belong to uvicorn in this process.
    consumer.scheduler.start()
    for _worker, thread in consumer.worker_threads:
        thread.start()
    print(f"Background worker: {len(consumer.worker_threads)} threads and the periodic scheduler.")
    return consumer


def _stop_worker(consumer: Any) -> None:
    if consumer is None:
        return
    consumer.shutdown_timeout = 10
    consumer.stop(graceful=True)
    consumer.huey.notify_interrupted_tasks()


class _Terminated(Exception):
    pass


def _on_sigterm(signum: int, frame: Any) -> NoReturn:
    raise _Terminated


def cmd_serve(args: argparse.Namespace) -> int:
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    _migrate_if_needed()
    if args.demo:
        from daifuku.customers.models import Company
        from daifuku.demo import demo_users_exist

        if not Company.objects.exists() and not demo_users_exist():
            _load_demo(args.seed, 300, 1000)
        elif demo_users_exist():
            print("Demo data already loaded.")
        else:
            print("Demo data not loaded: the database already holds companies.")
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    if settings.PRODUCTION:
        call_command("collectstatic", interactive=False, verbosity=0)
    call_command("check")

    import uvicorn

    consumer = _start_worker() if args.worker else None
    url = f"http://{args.host if args.host not in ('0.0.0.0', '::') else '127.0.0.1'}:{args.port}/"  # noqa: S104
    print()
    if args.demo and _demo_loaded():
        _print_logins()
        print()
    print(f"Daifuku is running on {url}  (Ctrl-C to stop)", flush=True)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        uvicorn.run(
            "daifuku.asgi:application",
            host=args.host,
            port=args.port,
            lifespan="off",
            log_level=os.environ.get("UVICORN_LOG_LEVEL", "warning"),
            workers=max(1, args.web_workers),
            proxy_headers=settings.PRODUCTION,
            forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        )
    except (KeyboardInterrupt, _Terminated):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop_worker(consumer)
    print("Daifuku stopped.")
    return 0


def _demo_loaded() -> bool:
    from daifuku.demo import demo_users_exist

    return demo_users_exist()


# demo, createuser, token


def cmd_demo(args: argparse.Namespace) -> int:
    _setup()
    _migrate_if_needed()
    _load_demo(args.seed, args.companies, args.contacts)
    _print_logins()
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    _setup()
    _migrate_if_needed()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from daifuku.core import context
    from daifuku.core.models import User
    from daifuku.core.services import user_create

    generated = args.password is None
    password = secrets.token_urlsafe(12) if generated else args.password
    if not generated:
        try:
            validate_password(password, user=User(username=args.name))
        except ValidationError as exc:
            raise CliError(f"password rejected: {_validation_message(exc)}") from exc
    try:
        with context.acting(via="cli"):
            user = user_create(
                username=args.name, role_slug=args.role, password=password, team_name=args.team or ""
            )
    except ValidationError as exc:
        raise CliError(_validation_message(exc)) from exc
    team = user.team.name if user.team else "-"
    print(f"Created user {user.username} (role {user.role.slug if user.role else '-'}, team {team}).")
    if generated:
        print(f"Password: {password}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    _setup()
    _migrate_if_needed()
    from daifuku.core import context
    from daifuku.core.models import User
    from daifuku.core.services import token_create

    user = User.objects.filter(username=args.name).first()
    if user is None:
        raise CliError(f"no user named {args.name!r}")
    if not user.is_active:
        raise CliError(f"user {args.name!r} is inactive")
    with context.acting(via="cli"):
        token = token_create(user=user, name=args.label)
    print(token)
    return 0


def cmd_manage(argv: Sequence[str]) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    from daifuku.core import context

    with context.acting(via="cli"):
        execute_from_command_line(["daifuku manage", *argv])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="daifuku", description="Daifuku (大福帳): CRM, SFA and sales management."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve", help="migrate if needed and run the web server with the background worker"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="load demo data into an empty database first")
    serve.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    serve.add_argument(
        "--no-worker", dest="worker", action="store_false", help="do not run the background worker"
    )
    serve.add_argument(
        "--workers",
        dest="web_workers",
        type=int,
        default=1,
        help="web server processes (uvicorn workers; one per CPU core serves most requests per second)",
    )
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="create demo teams, users, companies and contacts")
    demo.add_argument("--seed", type=int, default=None, help="same seed, same data (default 2026)")
    demo.add_argument("--companies", type=int, default=300, help=argparse.SUPPRESS)
    demo.add_argument("--contacts", type=int, default=1000, help=argparse.SUPPRESS)
    demo.set_defaults(func=cmd_demo)

    createuser = sub.add_parser("createuser", help="create a user with a role (and team, created if missing)")
    createuser.add_argument("name")
    createuser.add_argument(
        "--role",
        required=True,
        help="administrator, manager, sales_rep, support_agent, marketing or read_only",
    )
    createuser.add_argument("--team", default="")
    createuser.add_argument("--password", default=None, help="generated and printed when left out")
    createuser.set_defaults(func=cmd_createuser)

    token = sub.add_parser("token", help="print a new API token for a user")
    token.add_argument("name")
    token.add_argument("--label", default="cli", help=argparse.SUPPRESS)
    token.set_defaults(func=cmd_token)

    sub.add_parser("manage", help="Django management commands, e.g. `daifuku manage migrate`", add_help=False)
    for module_name in COMMAND_MODULES:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # e.g. bench/ exists only in a source checkout
            raise
        module.register(sub)
    return parser


def _add_source_checkout_to_path() -> None:
    # The benchmark harness (bench/) lives beside src/ in a source checkout, not in the package.
    root = Path(__file__).resolve().parents[2]
    if (root / "bench" / "__init__.py").exists() and str(root) not in sys.path:
        sys.path.append(str(root))


def main(argv: Sequence[str] | None = None) -> int:
    _add_source_checkout_to_path()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "manage":
            return cmd_manage(argv[1:])
        args = build_parser().parse_args(argv)
        return int(args.func(args))
    except CliError as exc:
        print(f"daifuku: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
