"""`provisioner user …` and `provisioner audit …`: users, tokens, and the audit log.

The CLI runs on the server as its operator, so it acts as an admin named after the
operating-system user (recorded in the audit log)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from provisioner.config import get_settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.errors import ProvisionerError

if TYPE_CHECKING:
    from provisioner.workflow.people.services import PeopleServices

user_app = typer.Typer(help="Pengguna dan token API / Users and API tokens.", no_args_is_help=True)
audit_app = typer.Typer(
    help="Log audit berantai hash / The hash-chained audit log.", no_args_is_help=True
)
console = Console()


def _operator() -> Actor:
    return Actor(f"cli:{getpass.getuser()}", Role.ADMIN)


def _people() -> PeopleServices:
    from provisioner.bootstrap.container import build_people, open_store

    settings = get_settings()
    return build_people(settings, open_store(settings))


def _fail(exc: ProvisionerError) -> None:
    console.print(f"[red]{exc.message}[/]")
    raise typer.Exit(1)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[Role, typer.Option(help="opd | network | technical | approver | admin")],
    agency: Annotated[str | None, typer.Option(help="the OPD (required for role opd)")] = None,
    full_name: Annotated[str, typer.Option(help="full name")] = "",
    email: Annotated[str | None, typer.Option(help="for notifications")] = None,
    password: Annotated[
        bool, typer.Option("--password/--no-password", help="ask for a web sign-in password")
    ] = False,
) -> None:
    """Create a user and print its API token (shown once)."""
    secret = None
    if password:
        secret = typer.prompt("Kata sandi / Password", hide_input=True, confirmation_prompt=True)
    try:
        token = _people().users.add(
            _operator(), username, role, agency, full_name=full_name, password=secret, email=email
        )
    except ProvisionerError as exc:
        _fail(exc)
    console.print(f"user {username} ({role}) created; API token (shown once):")
    print(token)


@user_app.command("list")
def user_list() -> None:
    """Every user: role, agency, disabled, locked."""
    table = Table("user", "name", "role", "agency", "e-mail", "state", "password")
    for u in _people().users.list(_operator()):
        state = "disabled" if u.disabled else "locked" if u.locked else "active"
        table.add_row(
            u.username,
            u.full_name,
            u.role,
            u.agency or "",
            u.email or "",
            state,
            "yes" if u.has_password else "no",
        )
    console.print(table)


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable a user: sessions end, the token stops working."""
    try:
        _people().users.set_disabled(_operator(), username, True)
    except ProvisionerError as exc:
        _fail(exc)
    console.print(f"user {username} disabled")


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Enable a user again (also clears a lock-out)."""
    try:
        _people().users.set_disabled(_operator(), username, False)
    except ProvisionerError as exc:
        _fail(exc)
    console.print(f"user {username} enabled")


@user_app.command("token")
def user_token(username: str) -> None:
    """Issue a new API token (the old one stops working) and print it."""
    try:
        token = _people().users.new_token(_operator(), username)
    except ProvisionerError as exc:
        _fail(exc)
    print(token)


@user_app.command("password")
def user_password(username: str) -> None:
    """Set a user's web sign-in password (≥ 12 characters, mixed classes)."""
    secret = typer.prompt("Kata sandi / Password", hide_input=True, confirmation_prompt=True)
    try:
        _people().users.set_password(_operator(), username, secret)
    except ProvisionerError as exc:
        _fail(exc)
    console.print(f"password of {username} set")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; exit 1 and name every edited or deleted entry."""
    report = _people().audit.verify()
    console.print(report.summary(), style="green" if report.ok else "red")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    fmt: Annotated[str, typer.Option("--format", help="csv | json")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file; default stdout")
    ] = None,
) -> None:
    """Export the log with its hashes for auditors."""
    try:
        text = _people().audit.export(fmt)
    except ProvisionerError as exc:
        _fail(exc)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        console.print(f"written {output}")
