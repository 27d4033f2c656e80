"""The `meterhub` command: serve, migrate, users, keys, sites, datasets, streams, meters, devices, tariffs, demo."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import shlex
import shutil
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich import box
from rich.console import Console
from rich.table import Column, Table

from meterhub import start
from meterhub.auth import keys
from meterhub.auth.passwords import hash_password
from meterhub.config import Settings
from meterhub.core.costs import Prices
from meterhub.core.datatypes import Datatype
from meterhub.core.entities import DeviceKind
from meterhub.core.errors import MeterhubError
from meterhub.core.roles import ROLES, Kind
from meterhub.mqtt.broker_accounts import BrokerAccounts
from meterhub.mqtt.dynsec import BrokerUrl, DynamicSecurity
from meterhub.services import tokens
from meterhub.store import accounts, datasets, devices, meters, tariffs
from meterhub.store.db import Database

console = Console()
DEFAULT_TIMEZONE = "Europe/Amsterdam"
# Where the first start's secrets go when they cannot be shown on a terminal.
FIRST_START_FILE = "first-start.txt"


def _settings(args: argparse.Namespace) -> Settings:
    # argparse's values are untyped; Settings checks them.
    overrides: dict[str, Any] = {
        k: v
        for k, v in {
            "data_dir": getattr(args, "data_dir", None),
            "database_url": getattr(args, "database_url", None),
            "host": getattr(args, "host", None),
            "port": getattr(args, "port", None),
            "access_log": False if getattr(args, "no_access_log", False) else None,
        }.items()
        if v is not None
    }
    return Settings(**overrides)


def _db(args: argparse.Namespace) -> Database:
    settings = _settings(args)
    if not settings.database_url:  # the embedded default: the SQLite file is in the data directory
        start.check_data_dir(settings.data_dir)
    db = Database(settings.resolved_database_url)
    db.migrate()
    return db


@contextmanager
def _broker_accounts(db: Database) -> Iterator[BrokerAccounts | None]:
    """The external broker's accounts when METERHUB_MQTT_URL is set: tokens and access changed
    here reach Mosquitto at once, not at the server's next round."""
    url = Settings().mqtt_url
    if not url:
        yield None
        return
    with DynamicSecurity(BrokerUrl.parse(url)) as admin:
        yield BrokerAccounts(db, admin)


def _access_changed(db: Database) -> None:
    with _broker_accounts(db) as broker:
        if broker is not None:
            broker.sync()


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(f"unknown time zone {name!r}: use an IANA name such as Europe/Amsterdam") from None
    return name


def first_start(db: Database, *, timezone: str, base_url: str, data_dir: Path) -> None:
    """On an empty database: an admin, a site and an API key, shown once: on the terminal, or
    (when output goes to a log) in an owner-only file in the data directory."""
    with db.writer.begin() as conn:
        if accounts.count_users_alone(conn):
            return
        password = secrets.token_urlsafe(12)
        user_id = accounts.add_user(
            conn,
            email="admin@localhost",
            password_hash=hash_password(password),
            name="Administrator",
            is_admin=True,
        )
        site_id = accounts.add_site(conn, name="Home", timezone=timezone, owner_id=user_id)
        _, key = keys.issue_key(conn, user_id=user_id, site_id=site_id, name="first key")
    banner = (
        "[bold green]meterhub is set up.[/] Shown once — keep these:\n"
        f"  login    admin@localhost / {password}\n"
        f"  site     {site_id} 'Home' ({timezone})\n"
        f"  API key  {key}\n\n"
        "Post a telegram (DSMR-reader API v1), a sample one stamped now; 201 means it is stored:\n"
        f"  {_own_command()} sample-telegram | curl {base_url}/api/v1/datalogger/dsmrreading "
        f"-H 'X-AUTHKEY: {key}' --data-urlencode telegram@- -w '%{{http_code}}\\n'\n"
        "Read today's consumption:\n"
        f"  curl {base_url}/api/v2/consumption/today -H 'X-AUTHKEY: {key}'\n"
    )
    if sys.stdout.isatty():
        console.print(banner, soft_wrap=True)  # commands to copy: never broken across lines
        return
    # Not a terminal: the output is kept somewhere (a journal, a file), where a password must not be.
    path = data_dir / FIRST_START_FILE
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        Console(file=out, no_color=True, soft_wrap=True).print(banner)
    console.print(
        f"meterhub is set up: the admin's password and first API key are in {path.resolve()}", soft_wrap=True
    )


def _own_command() -> str:
    """This meterhub as a shell runs it: `meterhub` when PATH finds this one, else its full path."""
    started = Path(sys.argv[0])
    if started.name != "meterhub":  # python -m meterhub
        return f"{shlex.quote(sys.executable)} -m meterhub"
    found = shutil.which("meterhub")
    return "meterhub" if found and Path(found).resolve() == started.resolve() else shlex.quote(str(started))


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from meterhub.app import create_app
    from meterhub.web import server

    settings = _settings(args)
    start.check_data_dir(settings.data_dir)
    # Several servers may share a PostgreSQL database; the embedded SQLite file takes one.
    lock = None if settings.database_url else start.hold_data_dir(settings.data_dir, settings.local_url)
    mqtt_port = 0 if settings.mqtt_url else settings.mqtt_port  # an external broker listens itself
    for port, what in ((settings.port, "HTTP"), (mqtt_port, "MQTT")):
        if port and not _can_listen(settings.host, port):
            variable = "METERHUB_PORT or --port" if what == "HTTP" else "METERHUB_MQTT_PORT (0: no MQTT)"
            raise SystemExit(
                f"{settings.host}:{port} is in use: meterhub's {what} port must be free; set {variable}"
            )
    if settings.mqtt_url:
        _reach_broker(settings.mqtt_url)
    db = Database(settings.resolved_database_url)
    db.migrate()
    first_start(
        db, timezone=_timezone(args.timezone), base_url=settings.local_url, data_dir=settings.data_dir
    )
    db.dispose()
    console.print("\n".join(start.start_lines(settings)), highlight=False, soft_wrap=True)
    app = create_app(settings)
    with lock or nullcontext():
        uvicorn.Server(
            server.config(app, host=settings.host, port=settings.port, access_log=settings.access_log)
        ).run()


def _reach_broker(url: str) -> None:
    # Said plainly before the server starts, not as a traceback from inside its start-up.
    try:
        DynamicSecurity(BrokerUrl.parse(url)).close()
    except (ValueError, MeterhubError) as exc:
        raise SystemExit(str(exc)) from None


def cmd_mqtt_ingest(args: argparse.Namespace) -> None:
    from meterhub.mqtt.bridge import start_bridge
    from meterhub.platform import Platform

    settings = _settings(args)
    if not settings.mqtt_url:
        raise SystemExit("set METERHUB_MQTT_URL to the external broker this worker takes messages from")
    platform = Platform(settings)
    bridge = start_bridge(platform)
    share = f" (share {settings.mqtt_share!r})" if settings.mqtt_share else ""
    console.print(
        f"meterhub ingest worker {settings.mqtt_client_id!r}{share} on {bridge.url}; Ctrl-C stops it"
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        bridge.stop()
        platform.close()


def _can_listen(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def cmd_migrate(args: argparse.Namespace) -> None:
    _db(args)
    console.print("database is at the newest schema")


def _password(given: str | None) -> str:
    if given:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise SystemExit("the passwords differ")
    return first


def cmd_user_add(args: argparse.Namespace) -> None:
    with _db(args).writer.begin() as conn:
        user_id = accounts.add_user(
            conn, email=args.email, password_hash=hash_password(_password(args.password)), is_admin=args.admin
        )
    _created(args, f"user {user_id} <{args.email}> created", user_id)


def cmd_user_list(args: argparse.Namespace) -> None:
    with _db(args).reader.connect() as conn:
        found = accounts.list_users(conn)
    table = _table("id", "email", "name", "admin")
    for u in found:
        table.add_row(str(u.id), u.email, u.name, "yes" if u.is_admin else "")
    console.print(table)


def cmd_user_passwd(args: argparse.Namespace) -> None:
    with _db(args).writer.begin() as conn:
        user = accounts.get_user(conn, email=args.email)
        accounts.set_password(conn, user_id=user.id, password_hash=hash_password(_password(args.password)))
    console.print(f"password of <{args.email}> changed")


def cmd_key_create(args: argparse.Namespace) -> None:
    db = _db(args)
    with _broker_accounts(db) as broker, db.writer.begin() as conn:
        user = accounts.get_user(conn, email=args.user)
        if args.site is not None:
            accounts.get_site(conn, args.site)
        for dataset_id in args.dataset or ():
            datasets.get_dataset(conn, dataset_id)
        issued = tokens.issue(
            conn,
            caller=None,
            broker=broker,
            user_id=user.id,
            site_id=args.site,
            scopes=args.scope or ("read", "write"),
            name=args.name,
            expires_days=args.expires_days,
            datasets=args.dataset or (),
        )
    where = f"site {args.site}" if args.site is not None else f"the sites of {args.user}"
    _created(args, f"key {issued.credential.id} for {where} (shown once):\n{issued.token}", issued.token)


def cmd_key_list(args: argparse.Namespace) -> None:
    with _db(args).reader.connect() as conn:
        found = accounts.list_credentials(conn)
        licensed = accounts.licensed_datasets(conn, [c.id for c in found])
    table = _table("id", "user", "site", "datasets", "name", "starts with", "scopes", "state")
    for c in found:
        state = (
            "revoked"
            if c.revoked_ms
            else ("expired" if c.expires_ms and c.expires_ms < accounts.now_ms() else "active")
        )
        table.add_row(
            str(c.id),
            str(c.user_id),
            str(c.site_id or ""),
            ",".join(map(str, licensed.get(c.id, []))) or "all",
            c.name,
            c.hint + "…",
            ", ".join(sorted(c.scopes)),
            state,
        )
    console.print(table)


def cmd_key_revoke(args: argparse.Namespace) -> None:
    db = _db(args)
    with db.writer.begin() as conn:
        accounts.revoke_credential(conn, credential_id=args.id)
    _access_changed(db)
    console.print(f"key {args.id} revoked")


def cmd_dataset_add(args: argparse.Namespace) -> None:
    db = _db(args)
    with db.writer.begin() as conn:
        accounts.get_site(conn, args.site)
        found = datasets.add_dataset(conn, site_id=args.site, topic_prefix=args.prefix, name=args.name)
    _access_changed(db)
    _created(args, f"dataset {found.id} '{found.topic_prefix}' created in site {found.site_id}", found.id)


def cmd_dataset_list(args: argparse.Namespace) -> None:
    with _db(args).reader.connect() as conn:
        found = datasets.list_datasets(conn, None if args.site is None else [args.site])
    table = _table("id", "site", "topic prefix", "name")
    for d in found:
        table.add_row(str(d.id), str(d.site_id), d.topic_prefix, d.name)
    console.print(table)


def cmd_stream_add(args: argparse.Namespace) -> None:
    with _db(args).writer.begin() as conn:
        found = datasets.add_stream(
            conn,
            dataset_id=args.dataset,
            topic_suffix=args.suffix,
            datatype=Datatype(args.type),
            unit=args.unit,
            kind=Kind.COUNTER if args.counter else Kind.GAUGE,
            decimals=args.decimals,
            role=args.role,
        )
    _created(args, f"datastream {found.id} '{found.topic}' ({found.datatype.public}) created", found.id)


def cmd_stream_list(args: argparse.Namespace) -> None:
    with _db(args).reader.connect() as conn:
        ids = [d.id for d in datasets.list_datasets(conn)] if args.dataset is None else [args.dataset]
        found = [s for dataset_id in ids for s in datasets.list_streams(conn, dataset_id)]
        counts = meters.stream_counts(conn, [s.id for s in found])
    table = _table("id", "topic", "datatype", "unit", "kind", "points")
    for s in found:
        table.add_row(
            str(s.id), s.topic, s.datatype.value, s.unit, s.kind.value, str(counts.get(s.id, (0,))[0])
        )
    console.print(table)


def cmd_import(args: argparse.Namespace) -> None:
    from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TaskProgressColumn, TextColumn

    from meterhub.clients.energydata_import import ImportClient, ImportFailed, ServerUnreachable

    path = Path(args.file)
    if not path.is_file():
        raise SystemExit(f"no file {path}")
    client = ImportClient(args.token or os.environ.get("METERHUB_TOKEN", ""), args.url)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), DownloadColumn())
    try:
        created = client.create(args.name or path.name)
        import_id = created["id"]
        with Progress(*columns, console=console) as bars:
            sending = bars.add_task("upload", total=path.stat().st_size)
            client.upload(import_id, path, lambda n: bars.advance(sending, n))
        for step, start in (("validate", client.validate), ("ingest", client.ingest)):
            start(import_id)
            with Progress(*columns[:3], console=console) as bars:
                task = bars.add_task(step, total=100)

                def show(f: dict[str, Any], t: TaskID = task, b: Progress = bars) -> None:
                    b.update(t, completed=f["progress"]["percent"] or 0)

                found = client.wait(import_id, show)
                bars.update(task, completed=100)
            if found["status"] in ("invalid", "failed"):
                for e in found["errors"][:20]:
                    console.print(f"  row {e['row']}, column {e['column']}: {e['message']}")
                raise SystemExit(f"import {import_id} {found['status']}: {found['message']}")
    except ServerUnreachable as exc:
        raise SystemExit(str(exc)) from None
    except ImportFailed as exc:
        raise SystemExit(f"the server refused: {exc}") from None
    finally:
        client.close()
    console.print(f"import {import_id} done: {found['values']} values in {found['rows']} rows")


def cmd_site_add(args: argparse.Namespace) -> None:
    with _db(args).writer.begin() as conn:
        owner = accounts.get_user(conn, email=args.owner)
        site_id = accounts.add_site(
            conn, name=args.name, timezone=_timezone(args.timezone), owner_id=owner.id
        )
    _created(args, f"site {site_id} '{args.name}' created", site_id)


def cmd_site_list(args: argparse.Namespace) -> None:
    with _db(args).reader.connect() as conn:
        found = accounts.list_sites(conn)
    table = _table("id", "name", "time zone", "DSMR-reader API", "address", "location", "tags")
    for s in found:
        table.add_row(
            str(s.id),
            s.name,
            s.timezone,
            "on" if s.api_enabled else "off",
            s.address,
            _location(s.latitude, s.longitude),
            ", ".join(s.tags),
        )
    console.print(table)


def _location(latitude: float | None, longitude: float | None) -> str:
    return "" if latitude is None or longitude is None else f"{latitude:g}, {longitude:g}"


def cmd_site_set(args: argparse.Namespace) -> None:
    tags = [] if args.no_tags else args.tag
    with _db(args).writer.begin() as conn:
        site = accounts.set_site_details(
            conn, site_id=args.id, address=args.address, latitude=args.lat, longitude=args.lon, tags=tags
        )
    where = _location(site.latitude, site.longitude)
    said = [site.address, f"at {where}" if where else "", f"tags {', '.join(site.tags)}" if site.tags else ""]
    console.print(f"site {site.id} '{site.name}': " + ("; ".join(filter(None, said)) or "no address"))


def cmd_site_member(args: argparse.Namespace) -> None:
    db = _db(args)
    with db.writer.begin() as conn:
        accounts.get_site(conn, args.id)
        user = accounts.get_user(conn, email=args.email)
        accounts.add_member(conn, site_id=args.id, user_id=user.id, access=args.access)
    _access_changed(db)
    console.print(f"<{args.email}> may {args.access} site {args.id}")


def cmd_site_api(args: argparse.Namespace) -> None:
    with _db(args).writer.begin() as conn:
        accounts.set_site_api(conn, site_id=args.id, enabled=args.state == "on")
    console.print(f"DSMR-reader API of site {args.id} switched {args.state}")


def cmd_meter_list(args: argparse.Namespace) -> None:
    with _db(args).reader.connect() as conn:
        found = meters.list_meters(conn, args.site)
    table = _table("id", "site", "type", "equipment id", "protocol", "since")
    for m in found:
        table.add_row(
            str(m.id),
            str(m.site_id),
            m.meter_type,
            m.equipment_id or "(none)",
            m.protocol,
            _when(m.created_ms),
        )
    console.print(table)


def cmd_device_add(args: argparse.Namespace) -> None:
    with _db(args).writer.begin() as conn:
        accounts.get_site(conn, args.site)
        found = devices.add_device(
            conn,
            site_id=args.site,
            kind=DeviceKind(args.kind),
            product_name=args.product,
            instance=args.instance,
            identifier=args.serial,
            firmware_version=args.firmware,
        )
        devices.link_streams(conn, found.id, args.stream or ())
    _created(args, f"device {found.id} ({found.kind.value}) added to site {found.site_id}", found.id)


def cmd_device_list(args: argparse.Namespace) -> None:
    with _db(args).reader.connect() as conn:
        found = devices.list_devices(conn, args.site)
        streams = {d.id: devices.device_streams_of(conn, d.id) for d in found}
    table = _table(
        "id", "site", "kind", "product", "instance", "serial", "firmware", "meter", "streams", "seen"
    )
    for d in found:
        table.add_row(
            str(d.id),
            str(d.site_id),
            d.kind.value,
            d.product_name,
            "" if d.instance is None else str(d.instance),
            d.identifier,
            d.firmware_version,
            "" if d.meter_id is None else str(d.meter_id),
            ",".join(map(str, streams[d.id])),
            "" if d.last_contact_ms is None else _when(d.last_contact_ms),
        )
    console.print(table)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def cmd_tariff_add(args: argparse.Namespace) -> None:
    prices = Prices(
        import_t1=Decimal(args.import_t1),
        import_t2=Decimal(args.import_t2),
        export_t1=Decimal(args.export_t1),
        export_t2=Decimal(args.export_t2),
        gas=Decimal(args.gas),
        fixed_daily=Decimal(args.fixed_daily),
    )
    with _db(args).writer.begin() as conn:
        accounts.get_site(conn, args.site)
        contract_id = tariffs.add(
            conn,
            site_id=args.site,
            start=date.fromisoformat(args.start),
            end=date.fromisoformat(args.end),
            description=args.description,
            prices=prices,
        )
    _created(args, f"contract {contract_id} added to site {args.site}", contract_id)


def cmd_tariff_remove(args: argparse.Namespace) -> None:
    with _db(args).writer.begin() as conn:
        tariffs.remove(conn, site_id=args.site, contract_id=args.id)
    console.print(f"contract {args.id} removed from site {args.site}")


def cmd_tariff_list(args: argparse.Namespace) -> None:
    with _db(args).reader.connect() as conn:
        found = tariffs.contracts(conn, site_id=args.site)
    prices = ("in T1", "in T2", "out T1", "out T2", "gas", "day")
    table = _table("id", "from", "to", *prices, "description", whole=("id", "from", "to", *prices))
    for c in found:
        p = c.prices
        table.add_row(
            str(c.id),
            str(c.start),
            str(c.end),
            *(
                f"{v.normalize():f}"
                for v in (p.import_t1, p.import_t2, p.export_t1, p.export_t2, p.gas, p.fixed_daily)
            ),
            c.description,
        )
    console.print(table)


def _created(args: argparse.Namespace, said: str, made: object) -> None:
    """What a create command says; with --quiet only what it made, `ID=$(meterhub … -q)`."""
    if args.quiet:
        sys.stdout.write(f"{made}\n")
    else:
        console.print(said, soft_wrap=True)


def _table(*headers: str, whole: Sequence[str] = ()) -> Table:
    """A table that stays readable in an 80-column terminal: a space between columns, a rule under
    the header, long values folded onto more lines; the `whole` columns (dates, ids) never break."""
    columns = [Column(h, no_wrap=h in whole, overflow="fold") for h in headers]
    return Table(*columns, box=box.SIMPLE_HEAD, show_edge=False, padding=0)


def cmd_sample_telegram(args: argparse.Namespace) -> None:
    from meterhub.demo.sample import sample_telegram

    sys.stdout.write(sample_telegram(datetime.now(UTC)))


def cmd_demo(args: argparse.Namespace) -> None:
    from meterhub.demo import run_demo

    settings = _settings(args)
    start.check_data_dir(settings.data_dir)  # import files and the signing key are kept there on any database
    run_demo(settings, interval=args.interval, days=args.days, console=console)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", help="where the SQLite file lives (env METERHUB_DATA_DIR, default ./data)"
    )
    common.add_argument("--database-url", help="e.g. postgresql://user@host/db (env METERHUB_DATABASE_URL)")

    parser = argparse.ArgumentParser(prog="meterhub", description="Self-hosted energy-data platform")
    sub = parser.add_subparsers(dest="command", required=True)

    creating = argparse.ArgumentParser(add_help=False)
    creating.add_argument(
        "-q", "--quiet", action="store_true", help="print only the new id (a key: the key), for scripts"
    )

    def add(
        name: str,
        func: Callable[[argparse.Namespace], None],
        help_text: str,
        into: argparse._SubParsersAction[argparse.ArgumentParser] = sub,
        *,
        creates: bool = False,
    ) -> argparse.ArgumentParser:
        parents = [common, creating] if creates else [common]
        p = into.add_parser(name, parents=parents, help=help_text)
        p.set_defaults(func=func)
        return p

    serve = add("serve", cmd_serve, "run the server (creates and migrates the database)")
    serve.add_argument("--host", help="address to listen on (env METERHUB_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (env METERHUB_PORT, default 8000)")
    serve.add_argument(
        "--no-access-log", action="store_true", help="no line per request (env METERHUB_ACCESS_LOG=0)"
    )
    serve.add_argument(
        "--timezone",
        default=os.environ.get("METERHUB_TIMEZONE", DEFAULT_TIMEZONE),
        help="time zone of the first site, created on first start",
    )
    add("migrate", cmd_migrate, "create or upgrade the database schema")
    add(
        "mqtt-ingest",
        cmd_mqtt_ingest,
        "one more ingest worker for the external broker of METERHUB_MQTT_URL (no HTTP)",
    )

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    p = add("add", cmd_user_add, "create a user", user, creates=True)
    p.add_argument("email")
    p.add_argument("--password", help="read from the terminal (or one line of stdin) when omitted")
    p.add_argument("--admin", action="store_true")
    add("list", cmd_user_list, "list users", user)
    p = add("passwd", cmd_user_passwd, "change a password", user)
    p.add_argument("email")
    p.add_argument("--password")

    key = sub.add_parser("key", help="manage API keys").add_subparsers(dest="action", required=True)
    p = add("create", cmd_key_create, "create an API key for a site (shown once)", key, creates=True)
    p.add_argument("--user", required=True, help="owner's email")
    p.add_argument("--site", type=int, help="bind the key to one site (DSMR-reader dataloggers need this)")
    p.add_argument("--scope", action="append", choices=keys.SCOPES, help="repeatable; default read and write")
    p.add_argument(
        "--dataset", type=int, action="append", help="limit the key to this dataset (repeatable; default all)"
    )
    p.add_argument("--name", default="")
    p.add_argument("--expires-days", type=int)
    add("list", cmd_key_list, "list keys (never the keys themselves)", key)
    p = add("revoke", cmd_key_revoke, "revoke a key at once", key)
    p.add_argument("id", type=int)

    site = sub.add_parser("site", help="manage sites").add_subparsers(dest="action", required=True)
    p = add("add", cmd_site_add, "create a site", site, creates=True)
    p.add_argument("name")
    p.add_argument("--timezone", default=DEFAULT_TIMEZONE)
    p.add_argument("--owner", required=True, help="owner's email")
    add("list", cmd_site_list, "list sites", site)
    p = add("member", cmd_site_member, "give a user access to a site", site)
    p.add_argument("id", type=int)
    p.add_argument("email")
    p.add_argument("--access", choices=("read", "write", "admin"), default="read")
    p = add("api", cmd_site_api, "switch a site's DSMR-reader API on or off", site)
    p.add_argument("id", type=int)
    p.add_argument("state", choices=("on", "off"))
    p = add("set", cmd_site_set, "set a site's address, location and tags (what is not given stays)", site)
    p.add_argument("id", type=int)
    p.add_argument("--address")
    p.add_argument("--lat", type=float, help="degrees north (negative: south)")
    p.add_argument("--lon", type=float, help="degrees east (negative: west)")
    p.add_argument("--tag", action="append", help="a label (repeatable; replaces the site's tags)")
    p.add_argument("--no-tags", action="store_true", help="remove every tag")

    dataset = sub.add_parser("dataset", help="datasets (energydata.dk, MQTT topic prefixes)").add_subparsers(
        dest="action", required=True
    )
    p = add("add", cmd_dataset_add, "create a dataset with a topic prefix", dataset, creates=True)
    p.add_argument("prefix", help="letters and digits, e.g. weather")
    p.add_argument("--site", type=int, required=True)
    p.add_argument("--name", default="")
    p = add("list", cmd_dataset_list, "list datasets", dataset)
    p.add_argument("--site", type=int)

    stream = sub.add_parser("stream", help="datastreams").add_subparsers(dest="action", required=True)
    p = add("add", cmd_stream_add, "create a datastream in a dataset", stream, creates=True)
    p.add_argument("dataset", type=int)
    p.add_argument("suffix", help="topic suffix, e.g. outdoor/temperature")
    p.add_argument("--type", choices=[d.value for d in Datatype], default="double")
    p.add_argument("--unit", default="")
    p.add_argument("--decimals", type=int, default=0, help="for --type fixed: stored exactly to this many")
    p.add_argument("--counter", action="store_true", help="a register that only grows (aggregated as deltas)")
    p.add_argument(
        "--role", choices=ROLES, metavar="ROLE", help="what it measures, e.g. pv_kwh (sets type, unit, kind)"
    )
    p = add("list", cmd_stream_list, "list datastreams", stream)
    p.add_argument("--dataset", type=int)

    p = sub.add_parser("import", help="batch-import a CSV file into a running server (energydata.dk format)")
    p.set_defaults(func=cmd_import)
    p.add_argument("file", help="CSV as energydata.dk's batch import reads it")
    p.add_argument("--name", help="the import's name (default: the file's)")
    p.add_argument("--token", help="a token with the batch-import permission (env METERHUB_TOKEN)")
    p.add_argument(
        "--url",
        help="the server (env METERHUB_URL; default: where `serve` listens, by METERHUB_HOST and METERHUB_PORT)",
    )

    meter = sub.add_parser("meter", help="meters").add_subparsers(dest="action", required=True)
    p = add("list", cmd_meter_list, "list meters", meter)
    p.add_argument("--site", type=int)

    # Each meter is a device already, made with it: these are the others.
    device = sub.add_parser(
        "device", help="a site's devices (inverters, batteries, gateways, meters)"
    ).add_subparsers(dest="action", required=True)
    p = add("add", cmd_device_add, "register a device of a site", device, creates=True)
    p.add_argument("--site", type=int, required=True)
    p.add_argument("--kind", choices=[k.value for k in DeviceKind], required=True)
    p.add_argument("--product", default="", help="product name, e.g. 'MultiPlus-II 48/5000'")
    p.add_argument("--instance", type=int, help="its number among the site's devices of its kind")
    p.add_argument("--serial", default="", help="serial number or other identifier")
    p.add_argument("--firmware", default="", help="firmware version")
    p.add_argument("--stream", type=int, action="append", help="a datastream it reports (repeatable)")
    p = add("list", cmd_device_list, "list devices", device)
    p.add_argument("--site", type=int)

    tariff = sub.add_parser("tariff", help="energy contracts").add_subparsers(dest="action", required=True)
    p = add("add", cmd_tariff_add, "add a contract (prices per kWh, m3 and day)", tariff, creates=True)
    p.add_argument("--site", type=int, required=True)
    p.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--end", required=True, help="last day, YYYY-MM-DD")
    p.add_argument("--description", default="")
    for name in ("import-t1", "import-t2", "export-t1", "export-t2", "gas", "fixed-daily"):
        p.add_argument(f"--{name}", default="0")
    p = add("remove", cmd_tariff_remove, "remove a contract", tariff)
    p.add_argument("id", type=int)
    p.add_argument("--site", type=int, required=True)
    p = add("list", cmd_tariff_list, "list a site's contracts", tariff)
    p.add_argument("--site", type=int, required=True)

    p = sub.add_parser(
        "sample-telegram", help="print a sample DSMR 5 telegram stamped now, to post with curl"
    )
    p.set_defaults(func=cmd_sample_telegram)

    demo = add("demo", cmd_demo, "fill a demo site with a realistic year of data")
    demo.add_argument("--interval", default="60s", help="electricity reading interval, e.g. 10s or 1m")
    demo.add_argument("--days", type=int, default=365)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `meterhub` command."""
    args = _parser().parse_args(argv)
    try:
        args.func(args)
    except MeterhubError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise SystemExit(2) from None
    except start.CannotStart as exc:
        raise SystemExit(str(exc)) from None
