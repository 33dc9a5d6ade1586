"""``openshot-api initdb|create-user|worker|settings CONFIG ...``"""
import argparse
import os
import sys


def _settings(config_uri):
    from pyramid.paster import get_appsettings, setup_logging

    from .settings import read_settings
    setup_logging(config_uri)
    return read_settings(get_appsettings(config_uri, name="main"))


def alembic_config(settings):
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", os.path.join(os.path.dirname(__file__), "migrations"))
    cfg.set_main_option("sqlalchemy.url", settings["sqlalchemy.url"].replace("%", "%%"))
    return cfg


def initdb(settings):
    """Create or upgrade the schema with Alembic (safe to run again)."""
    from alembic import command

    from .db import make_engine
    engine = make_engine(settings)
    cfg = alembic_config(settings)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    engine.dispose()


def cmd_initdb(args):
    initdb(_settings(args.config))
    print("database ready")


def cmd_create_user(args):
    import transaction
    from sqlalchemy import select

    from .auth import create_user
    from .db import get_tm_session, make_engine, make_session_factory
    from .models import User
    settings = _settings(args.config)
    engine = make_engine(settings)
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        session = get_tm_session(make_session_factory(engine), tm)
        user = session.scalar(select(User).where(User.username == args.username))
        if user is not None:
            if not args.if_missing:
                print(f"user {args.username} already exists", file=sys.stderr)
                sys.exit(1)
        else:
            user = create_user(session, args.username, args.password, is_admin=args.admin)
        token = user.token.key
    print(token)


def cmd_worker(args):
    """Run Dramatiq worker processes for the ini's broker (RabbitMQ in production)."""
    from dramatiq.cli import main as dramatiq_main
    os.environ["OPENSHOT_API_CONFIG"] = os.path.abspath(args.config)
    argv = ["dramatiq", "openshot_api.worker:setup", "openshot_api.tasks",
            "--processes", str(args.processes), "--threads", str(args.threads)]
    if args.queues:
        argv += ["--queues", *args.queues]
    sys.argv = argv
    sys.exit(dramatiq_main())


def cmd_settings(args):
    """Print every effective setting: value (secrets masked), source, type, default and help."""
    from .settings import describe_settings
    sys.stdout.write(describe_settings(_settings(args.config)))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="openshot-api")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("initdb", help="create or upgrade the database")
    p.add_argument("config")
    p.set_defaults(func=cmd_initdb)
    p = sub.add_parser("create-user", help="create a user and print their token")
    p.add_argument("config")
    p.add_argument("--username", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--admin", action="store_true")
    p.add_argument("--if-missing", action="store_true", help="print the token of an existing user instead of failing")
    p.set_defaults(func=cmd_create_user)
    p = sub.add_parser("worker", help="run render/webhook workers (production)")
    p.add_argument("config")
    p.add_argument("--processes", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--queues", nargs="*", default=None,
                   help="queues to consume (render default webhooks transcribe); all when omitted")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("settings", help="print every effective setting, where it comes from (ini, "
                       "env, default) and its help; secrets masked")
    p.add_argument("config")
    p.set_defaults(func=cmd_settings)
    args = parser.parse_args(argv)
    from .interfaces import ConfigurationError
    try:
        args.func(args)
    except ConfigurationError as exc:
        # A wrong ini is the operator's to fix: say what is wrong, not where in our code.
        print(f"openshot-api: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
