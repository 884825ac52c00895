"""The `vendorgov` command: serve, migrate, demo data, audit verification, accounts."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys

import click

from vendorgov.jobs.worker import DEFAULT_CONCURRENCY
from vendorgov.settings import SettingsError, get_settings, private_dir


def _run(coro):
    """Run one command's coroutine, closing the database handles afterwards."""
    from vendorgov import db
    from vendorgov.errors import DomainError

    async def wrapped():
        async with db.lifespan_connections():
            return await coro

    try:
        return asyncio.run(wrapped())
    except DomainError as error:  # a refused input or action: its message, not a traceback
        many = len(error.errors) > 1
        details = "".join(f"\n  {e.field}: {e.message}" for e in error.errors) if many else ""
        raise click.ClickException(f"{error.message}{details}") from None


@click.group()
def main() -> None:
    """vendorgov: hospital logistics contracts, governed."""
    # Whatever the commands and the server write (sessions, uploads, backups, the database's
    # journal) is for the service's user alone; workers inherit the mask.
    os.umask(0o077)
    try:  # a bad variable is a one-line message, not a traceback from deep inside a command
        get_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


@main.command()
def migrate() -> None:
    """Apply the database migrations (SQLite file under the data dir, or PostgreSQL)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    private_dir(get_settings().data_dir)
    result = _run(run_forwards("all"))
    if not result.success:
        raise click.ClickException(f"migration failed: {result.message}")
    click.echo("database is up to date")


@main.command()
@click.option("--if-empty", is_flag=True, help="Load only when there are no accounts yet.")
def demo(if_empty: bool) -> None:
    """Load the demo hospital: vendors, qualifications and one account per role."""
    from vendorgov import demo as demo_data

    loaded = _run(demo_data.load(if_empty=if_empty))
    click.echo("demo hospital loaded" if loaded else "accounts exist already; demo not loaded")


# How uvicorn serves vendorgov (here and in bench/server.py). The standard asyncio loop, not
# uvloop: under saturation uvloop left some connections waiting for over a second while others
# were served in 40 ms (p99 of 0.7 s against 52 ms with asyncio, at the same throughput).
# No proxy_headers: uvicorn's would take X-Forwarded-For from any client on 127.0.0.1 as its
# address; the app reads it only from VENDORGOV_TRUSTED_PROXIES (web.security.client_address).
SERVER_OPTIONS = {"loop": "asyncio", "http": "httptools", "proxy_headers": False}


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app and API."""
    import uvicorn

    from vendorgov import demo as demo_data

    try:
        loaded = _run(demo_data.is_loaded())
    except Exception as error:  # the driver's own "no such table" / "relation does not exist"
        raise click.ClickException(
            f"the database is not ready ({error}); run `vendorgov migrate` first"
        ) from None
    if loaded:
        click.echo(demo_data.logins_text())
    click.echo(f"vendorgov on http://{host}:{port}/  (API docs: http://{host}:{port}/schema)")
    uvicorn.run(
        "vendorgov.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,  # the app logs each request as JSON, with its request id
        log_config=None,  # uvicorn's own lines go to the root logger, which the app makes JSON
        **SERVER_OPTIONS,
    )


@main.command()
@click.option(
    "--concurrency", default=DEFAULT_CONCURRENCY, show_default=True, help="Jobs run at once."
)
def worker(concurrency: int) -> None:
    """Run queued jobs and the scheduler (needs VENDORGOV_REDIS_URL; without it the app runs
    them itself)."""
    from vendorgov.jobs import worker as jobs

    if not jobs.redis_url():
        raise click.ClickException(
            "VENDORGOV_REDIS_URL is not set: without Redis, `vendorgov serve` runs the jobs"
        )
    click.echo(f"vendorgov worker on {jobs.QUEUE_NAME} ({concurrency} at once)")
    jobs.run_saq_worker(concurrency)


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A file written by `audit checkpoint`: the trail must still hold its entry unchanged.",
)
def audit_verify(checkpoint_file: str | None) -> None:
    """Re-hash the whole trail; exit 1 and name the first broken link if any row changed."""
    from pathlib import Path

    from vendorgov.audit import service

    async def run():
        checkpoint = None
        if checkpoint_file:
            checkpoint = service.read_checkpoint(Path(checkpoint_file).read_text())
        return await service.verify(checkpoint)

    result = _run(run())
    if result.intact:
        click.echo(f"audit trail intact: {result.checked} entries verified")
        return
    click.echo(
        f"audit trail BROKEN at entry {result.first_break.entry_id}: "
        f"{result.first_break.reason} ({result.checked} entries read)",
        err=True,
    )
    sys.exit(1)


@audit.command("checkpoint")
@click.argument("file", type=click.Path(dir_okay=False))
def audit_checkpoint(file: str) -> None:
    """Write a signed checkpoint of the trail's newest entry to FILE, to keep away from the
    database (another machine, write-once storage): `audit verify --checkpoint FILE` then
    finds entries deleted up to it."""
    import json
    from pathlib import Path

    from vendorgov.audit import service

    data = _run(service.checkpoint())
    Path(file).write_text(json.dumps(data, indent=2) + "\n")
    click.echo(f"checkpoint of entry {data['last_id']} written to {file}; keep it elsewhere")


@main.command()
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False))
def backup(directory: str) -> None:
    """Back up the database, the uploaded files and the secret key into DIR (new or empty),
    with a manifest (time, database kind, rows per table, audit chain head)."""
    from pathlib import Path

    from vendorgov import backup as backups

    manifest = _run(backups.backup(Path(directory)))
    rows = sum(manifest["counts"].values())
    click.echo(
        f"backup written to {directory}: {manifest['database']} database "
        f"({len(manifest['counts'])} tables, {rows} rows, audit head entry "
        f"{manifest['audit_head']['id']}), {manifest['files']} uploaded files"
    )
    if manifest["secret_key"]:
        click.echo(
            f"WARNING: {Path(directory) / manifest['secret_key']} is the installation's secret "
            "key: it unseals unopened bids and keys the audit trail. Store it apart from the "
            "backup (another medium, a safe) and remove it from the backup once copied.",
            err=True,
        )
    else:
        click.echo(
            "WARNING: the secret key comes from VENDORGOV_SECRET_KEY and is not in the backup: "
            "keep it safe and apart; without it sealed tenders cannot be opened after a restore.",
            err=True,
        )


@main.command()
@click.argument("directory", metavar="DIR", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite a database or data dir that has data.")
def restore(directory: str, force: bool) -> None:
    """Restore a backup made by `vendorgov backup` into this installation's database and data
    dir (empty ones unless --force), then check it against the backup's manifest."""
    from pathlib import Path

    from vendorgov import backup as backups

    result = _run(backups.restore(Path(directory), force))
    click.echo(
        f"restored {sum(result['counts'].values())} rows in {len(result['counts'])} tables "
        f"from {directory}; audit trail: {result['verification'].checked} entries read"
    )
    if result["problems"]:
        raise click.ClickException("; ".join(result["problems"]))
    click.echo("matches the manifest; audit trail intact")


@main.group()
def user() -> None:
    """Accounts."""


@user.command("create")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    help="admin, procurement, evaluator, supervisor, auditor, finance or vendor",
)
@click.option("--name", "display_name", required=True, help="Name shown in the app.")
@click.option("--vendor-id", type=int, default=None, help="For vendor users: their vendor.")
@click.option("--email", default="")
def user_create(
    username: str, role: str, display_name: str, vendor_id: int | None, email: str
) -> None:
    """Create an account; the password is asked for (or read from stdin when piped)."""
    from vendorgov.accounts import service
    from vendorgov.audit.service import SYSTEM
    from vendorgov.errors import DomainError

    password = (
        getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    )
    try:
        user_id = _run(
            service.create_account(
                SYSTEM,
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                email=email,
                vendor_id=vendor_id,
            )
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"account {username} created (id {user_id})")


@main.group()
def events() -> None:
    """Service events from the help desk."""


@events.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--contract", "number", required=True, help="Contract number, e.g. HT-2026-001.")
@click.option(
    "--as",
    "username",
    default="admin",
    show_default=True,
    help="The account the import is recorded under.",
)
@click.option("--skip-invalid", is_flag=True, help="Import the good rows, report the bad ones.")
def events_import(file: str, number: str, username: str, skip_invalid: bool) -> None:
    """Import a CSV or XLSX file of service events (columns: see README)."""
    from pathlib import Path

    from vendorgov.contracts import service as contracts
    from vendorgov.errors import DomainError
    from vendorgov.sla import event_import

    async def run():
        principal = await _principal(username)
        contract_id = await contracts.contract_id_for(number)
        with click.progressbar(length=3, label="reading, checking, writing") as bar:
            records = event_import.read_table(file, Path(file).read_bytes())
            bar.update(1)
            report = await event_import.import_events(
                principal, contract_id, records, skip_invalid, source=f"cli:{Path(file).name}"
            )
            bar.update(2)
        return report

    try:
        report = _run(run())
    except DomainError as error:
        for item in error.errors[:50]:
            click.echo(f"  {item.field}: {item.message} [{item.rule}]", err=True)
        raise click.ClickException(error.message) from None
    click.echo(
        f"{report.received} rows: {report.inserted} new, {report.updated} updated, "
        f"{report.invalid} invalid"
    )
    for note in report.notes:
        click.echo(f"  note: {note}")
    for item in report.errors[:50]:
        click.echo(f"  row {item.row}, {item.column}: {item.message} [{item.rule}]", err=True)


@main.group()
def sla() -> None:
    """SLA measurement."""


@sla.command("compute")
@click.argument("month")
@click.option("--contract", "number", default=None, help="One contract; default: all active.")
@click.option("--as", "username", default="admin", show_default=True)
def sla_compute(month: str, number: str | None, username: str) -> None:
    """Compute the SLA results of MONTH (YYYY-MM) for one or every active contract."""
    from vendorgov import exact
    from vendorgov.contracts import service as contracts
    from vendorgov.sla import service as sla_service
    from vendorgov.sla.measure import Month

    try:
        parsed = Month.parse(month)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None

    async def run():
        principal = await _principal(username)
        if number:
            ids = [await contracts.contract_id_for(number)]
        else:
            ids = [
                c["id"]
                for c in await contracts.list_contracts(principal)
                if c["effective_status"] in ("active", "suspended", "expired")
            ]
        # Measured all at once (a second or two per million events): no progress to show.
        return await sla_service.compute_months(principal, parsed, ids)

    for outcome in _run(run()):
        component = (
            "no data" if outcome.sla_component is None else exact.rounded(outcome.sla_component)
        )
        click.echo(
            f"contract {outcome.contract_id}: {outcome.events} events, SLA component {component}"
        )


@main.group()
def month() -> None:
    """The month-end run (assessment and payment)."""


@month.command("run")
@click.argument("month_text", metavar="MONTH")
@click.option("--as", "username", required=True, help="The finance user computing it.")
@click.option("--reason", default="", help="Why an approved month is computed again.")
def month_run(month_text: str, username: str, reason: str) -> None:
    """Compute MONTH (YYYY-MM) for every contract in force, as a new revision."""
    from vendorgov.payments import reading as payment_reading
    from vendorgov.payments import service as payments
    from vendorgov.sla.measure import Month

    try:
        parsed = Month.parse(month_text)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None

    async def run():
        principal = await _principal(username)
        count = len(await payments.contracts_of(parsed, principal)) if principal else 0
        with click.progressbar(length=count, label=f"month-end {parsed}") as bar:
            run_id = await payments.compute_run(principal, parsed, None, reason, bar.update)
        return await payment_reading.get_run(principal, run_id)

    result = _run(run())
    for s in result["statements"]:
        click.echo(
            f"{s['contract_number']}: score {s['score']} grade {s['grade'] or '—'} "
            f"net {s['net']}{'  TERMINATION REVIEW' if s['termination_review'] else ''}"
        )
    click.echo(
        f"run {result['id']}: {result['month']} revision {result['revision']}, "
        f"{len(result['statements'])} contracts; approve with "
        f"`vendorgov month approve {result['id']} --as <another finance user>`"
    )


@month.command("approve")
@click.argument("run_id", type=int)
@click.option("--as", "username", required=True, help="A finance user other than the computer.")
def month_approve(run_id: int, username: str) -> None:
    """Approve (and lock) a computed run."""
    from vendorgov.payments import service as payments

    async def run():
        return await payments.approve(await _principal(username), run_id)

    drafted = _run(run())
    click.echo(f"run {run_id} approved and locked")
    if drafted:
        click.echo(
            f"{len(drafted)} rectification notice(s) drafted for D grades, for a supervisor "
            "to issue or discard (/notices)"
        )


@month.command("return")
@click.argument("run_id", type=int)
@click.option("--as", "username", required=True, help="A finance user other than the computer.")
@click.option("--reason", required=True, help="What needs correcting.")
def month_return(run_id: int, username: str, reason: str) -> None:
    """Return a computed run for correction; the month is then computed again."""
    from vendorgov.payments import service as payments

    async def run():
        await payments.return_run(await _principal(username), run_id, reason)

    _run(run())
    click.echo(f"run {run_id} returned for correction")


async def _principal(username: str):
    from vendorgov.accounts import service

    principal = await service.principal_for_user(await service.user_id_for(username))
    if principal is None:
        raise click.ClickException(f"no active account {username!r}")
    return principal


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for.")
def token_create(username: str, name: str) -> None:
    """Create an API token for USERNAME and print it once."""
    from vendorgov.accounts import service

    async def create():
        return await service.create_token(await _principal(username), name)

    _, text = _run(create())
    click.echo(text)


if __name__ == "__main__":
    main()
