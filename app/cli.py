"""`voiceai`: run the server and administer organisations, keys and the schema."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.config import Settings
from app.errors import DomainError

if TYPE_CHECKING:
    from app.listen_address import ListenAddress


async def _with_database(settings: Settings, action: Callable[[], Awaitable[Any]]) -> Any:
    from app.db.setup import close_database, open_database

    await open_database(settings.database_url)
    try:
        return await action()
    finally:
        await close_database()


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from app.listen_address import ListenAddress
    from app.main import create_app

    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from app.db.setup import migrate

    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, not {args.workers}")
    if args.workers > 1 and not settings.redis_url:
        raise ValueError(
            "--workers above 1 needs VOICEAI_REDIS_URL: without it live events, live views and "
            "rate limits stay inside each worker"
        )
    if args.workers > 1 and settings.database_url.startswith("sqlite:"):
        raise ValueError(
            "--workers above 1 needs a PostgreSQL VOICEAI_DATABASE_URL: SQLite has one writer, and "
            "writers in several processes fail with 'database is locked'"
        )
    # Migrated once, before any worker starts (they would race); a database that does not answer is one line.
    asyncio.run(migrate(settings.database_url))
    address = ListenAddress(args.host, args.port)
    settings = settings.with_overrides(listen_url=address.url)
    _warn_about_public_url(settings, address)
    options: dict[str, Any] = dict(
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        proxy_headers=False,
        ws_max_size=1024 * 1024,
    )
    if args.workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    # N processes on one socket (bound here, inherited by each worker; a dead worker is restarted). Each
    # worker reads its settings from the environment; where this server listens is handed down the same way.
    os.environ[LISTEN_URL_VARIABLE] = address.url
    uvicorn.run("app.cli:served_app", factory=True, workers=args.workers, **options)


LISTEN_URL_VARIABLE = "VOICEAI_LISTEN_URL"  # set by `serve --workers N` for its workers, not by users


def served_app() -> Any:
    """One worker of `voiceai serve --workers N`: its own settings from the environment, logging, and app."""
    from app.main import create_app

    settings = Settings.from_env()
    settings = settings.with_overrides(listen_url=os.environ.get(LISTEN_URL_VARIABLE) or None)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(settings)


def _warn_about_public_url(settings: Settings, address: ListenAddress) -> None:
    """Exotel reaches us only through VOICEAI_PUBLIC_URL (voice socket, status callbacks); the simulated
    carrier does not need it (it dials `listen_url`), so only a server that may use Exotel is warned."""
    if settings.telephony == "simulator":
        return
    problem = address.public_url_mismatch(settings.public_url)
    if problem:
        logging.getLogger("app.cli").warning(
            "VOICEAI_PUBLIC_URL=%s does not point at this server: %s. Exotel calls would connect their voice "
            "stream and status callbacks there; set VOICEAI_PUBLIC_URL to the address Exotel reaches this "
            "server on (or VOICEAI_TELEPHONY=simulator to use only the simulated carrier).",
            settings.public_url,
            problem,
        )


def _migrate(settings: Settings, args: argparse.Namespace) -> None:
    from app.db.setup import migrate

    asyncio.run(migrate(settings.database_url))
    print(json.dumps({"status": "migrated"}))


def _makemigrations(settings: Settings, args: argparse.Namespace) -> None:
    from tortoise.cli.cli import main as tortoise_main

    argv = ["-c", "app.db.setup.MIGRATIONS_CONFIG", "makemigrations"]
    if args.name:
        argv += ["-n", args.name]
    sys.argv = ["tortoise", *argv]
    tortoise_main()


def _org_create(settings: Settings, args: argparse.Namespace) -> None:
    from app.organisations.service import create_organisation

    created = asyncio.run(_with_database(settings, lambda: create_organisation(args.name)))
    print(json.dumps({"organisation_uuid": created.organisation.id, "api_key": created.api_key}))


def _apikey_create(settings: Settings, args: argparse.Namespace) -> None:
    from app.auth.api_keys import create_api_key

    key, plaintext = asyncio.run(_with_database(settings, lambda: create_api_key(args.org, args.name)))
    print(json.dumps({"api_key": plaintext, "prefix": key.prefix, "organisation_uuid": args.org}))


def _apikey_revoke(settings: Settings, args: argparse.Namespace) -> None:
    from app.auth.api_keys import revoke_api_key

    key = asyncio.run(_with_database(settings, lambda: revoke_api_key(args.prefix)))
    print(json.dumps({"prefix": key.prefix, "revoked": True}))


def _member_add(settings: Settings, args: argparse.Namespace) -> None:
    from app.organisations.service import add_member

    user = asyncio.run(_with_database(settings, lambda: add_member(args.org, args.firebase_uid, args.email)))
    print(json.dumps({"user_uuid": user.id, "organisation_uuid": args.org, "firebase_uid": user.firebase_uid}))


def _demo(settings: Settings, args: argparse.Namespace) -> None:
    from app import demo

    if args.url:
        if not args.api_key:
            raise demo.DemoError("--api-key is required with --url (an nn_k_ key of that server)")
        asyncio.run(
            demo.run_remote(
                args.url,
                args.api_key,
                args.customers,
                args.seed,
                args.timeout,
                args.webhook_host,
                args.webhook_port,
                args.webhook_url,
            )
        )
    else:
        asyncio.run(
            demo.run_embedded(args.customers, args.seed, args.timeout, Path(args.data_dir) if args.data_dir else None)
        )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="voiceai", description="Voice AI calling platform")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API server (migrates the database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes sharing the port (needs PostgreSQL and Redis; docs/scaling.md)",
    )
    serve.set_defaults(run=_serve)

    commands.add_parser("migrate", help="create or migrate the database schema").set_defaults(run=_migrate)
    make = commands.add_parser("makemigrations", help="write a migration for model changes (developers)")
    make.add_argument("-n", "--name")
    make.set_defaults(run=_makemigrations)

    demo = commands.add_parser("demo", help="run an offline end-to-end campaign on the simulated carrier")
    demo.add_argument("--customers", type=int, default=30)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--timeout", type=float, default=180.0, help="seconds before the campaign is stopped")
    demo.add_argument(
        "--data-dir",
        help="where the embedded run keeps its database and recordings (default: a new temporary directory)",
    )
    demo.add_argument("--url", help="a real deployment instead of the embedded server")
    demo.add_argument("--api-key", help="an nn_k_ key of the deployment (with --url)")
    demo.add_argument("--webhook-host", default="127.0.0.1")
    demo.add_argument("--webhook-port", type=int, default=0)
    demo.add_argument("--webhook-url", help="the receiver's public URL, as the deployment reaches it")
    demo.set_defaults(run=_demo)

    org = commands.add_parser("org", help="organisations").add_subparsers(dest="action", required=True)
    org_create = org.add_parser("create", help="create an organisation and its first API key")
    org_create.add_argument("name")
    org_create.set_defaults(run=_org_create)

    apikey = commands.add_parser("apikey", help="API keys").add_subparsers(dest="action", required=True)
    key_create = apikey.add_parser("create", help="create an API key (printed once)")
    key_create.add_argument("--org", required=True, help="organisation uuid (org_...)")
    key_create.add_argument("--name")
    key_create.set_defaults(run=_apikey_create)
    key_revoke = apikey.add_parser("revoke", help="revoke an API key by its prefix")
    key_revoke.add_argument("prefix", metavar="KEY_PREFIX")
    key_revoke.set_defaults(run=_apikey_revoke)

    member = commands.add_parser("member", help="Firebase users of an organisation").add_subparsers(
        dest="action", required=True
    )
    member_add = member.add_parser("add", help="let a Firebase user sign in to an organisation")
    member_add.add_argument("--org", required=True)
    member_add.add_argument("--firebase-uid", required=True)
    member_add.add_argument("--email")
    member_add.set_defaults(run=_member_add)
    return root


def main(argv: list[str] | None = None) -> None:
    """Every command ends in its output or a one-line error on stderr, never a traceback: `{"detail": ...}`
    for the operator commands, a sentence for the demo; VOICEAI_LOG_LEVEL=DEBUG adds the traceback."""
    args = parser().parse_args(argv)
    from app.demo import DemoError

    try:
        settings = Settings.from_env()
        args.run(settings, args)
    except DomainError as error:
        _fail(json.dumps({"detail": error.detail}), 1)
    except DemoError as error:
        _fail(f"voiceai demo: {error}", 1)
    except ValueError as error:
        _fail(json.dumps({"detail": str(error)}), 2)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as error:  # a database that does not answer, a directory that cannot be written...
        if os.environ.get("VOICEAI_LOG_LEVEL", "").upper() == "DEBUG":
            traceback.print_exc()
        command = " ".join(part for part in (args.command, getattr(args, "action", None)) if part)
        _fail(json.dumps({"detail": f"{command} failed: {type(error).__name__}: {error}"}), 1)


def _fail(message: str, code: int) -> None:
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(code) from None


if __name__ == "__main__":
    main()
