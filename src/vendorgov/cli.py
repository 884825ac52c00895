"""The `vendorgov` command: serve, migrate, demo data, audit verification, accounts."""

from __future__ import annotations

import asyncio
import getpass
import sys

import click

from vendorgov.settings import get_settings


def _run(coro):
    """Run one command's coroutine, closing the database handles afterwards."""
    from vendorgov import db

    async def wrapped():
        async with db.lifespan_connections():
            return await coro

    return asyncio.run(wrapped())


@click.group()
def main() -> None:
    """vendorgov: hospital logistics contracts, governed."""


@main.command()
def migrate() -> None:
    """Apply the database migrations (SQLite file under the data dir, or PostgreSQL)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
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
        proxy_headers=True,
    )


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Re-hash the whole trail; exit 1 and name the first broken link if any row changed."""
    from vendorgov.audit import service

    result = _run(service.verify())
    if result.intact:
        click.echo(f"audit trail intact: {result.checked} entries verified")
        return
    click.echo(
        f"audit trail BROKEN at entry {result.first_break.entry_id}: "
        f"{result.first_break.reason} ({result.checked} entries read)",
        err=True,
    )
    sys.exit(1)


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
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for.")
def token_create(username: str, name: str) -> None:
    """Create an API token for USERNAME and print it once."""
    from vendorgov.accounts import service

    async def create():
        user_id = await service.user_id_for(username)
        principal = await service.principal_for_user(user_id)
        if principal is None:
            raise click.ClickException(f"no active account {username!r}")
        return await service.create_token(principal, name)

    _, text = _run(create())
    click.echo(text)


if __name__ == "__main__":
    main()
