"""`provisioner` — the command line: the lab, the service, and a few operator commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from provisioner.cli.dns import dns_app
from provisioner.cli.doctor import register as register_doctor_command
from provisioner.cli.hosting import register as register_hosting_commands
from provisioner.cli.ops import register as register_ops_commands
from provisioner.cli.people import audit_app, user_app
from provisioner.cli.sites import sites_app
from provisioner.config import get_settings

app = typer.Typer(
    help="provisioner: subdomain + hosting for OPDs, from request to live site.",
    no_args_is_help=True,
)
lab_app = typer.Typer(
    help="The lab of real servers on loopback (BIND, Apache, MariaDB, sshd, git).",
    no_args_is_help=True,
)
app.add_typer(lab_app, name="lab")
app.add_typer(dns_app, name="dns")
app.add_typer(sites_app, name="sites")  # existing sites on the web servers
register_ops_commands(app)  # worker, scheduler, backup, restore
register_doctor_command(app)  # checks of the real setup
register_hosting_commands(app)  # deploy, promote, rollback
app.add_typer(user_app, name="user")  # users and tokens
app.add_typer(audit_app, name="audit")  # verify / export the audit log
console = Console()


def _print_hosts(reports: list[Any]) -> bool:
    table = Table("host", "address", "state", "detail")
    ok = True
    for r in reports:
        colour = {"running": "green", "started": "green"}.get(r.state, "red")
        ok = ok and r.state in ("running", "started", "stopped")
        table.add_row(r.name, r.address, f"[{colour}]{r.state}[/]", r.detail)
    console.print(table)
    return ok


@lab_app.command("up")
def lab_up() -> None:
    """Install what is missing, start every lab host, wait until each answers."""
    from provisioner.lab import lab_up as up

    with console.status("lab up …") as status:
        reports = up(get_settings(), progress=lambda m: status.update(f"lab up: {m}"))
    if not _print_hosts(reports) or any(r.state == "failed" for r in reports):
        raise typer.Exit(1)


@lab_app.command("down")
def lab_down() -> None:
    """Stop exactly what `lab up` started (by PID) and remove the lab addresses."""
    from provisioner.lab import lab_down as down

    _print_hosts(down(get_settings(), progress=console.print))


@lab_app.command("status")
def lab_status() -> None:
    """What answers, host by host."""
    from provisioner.lab import lab_status as status

    reports = status(get_settings())
    _print_hosts(reports)
    if any(r.state != "running" for r in reports):
        raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Bring the store's schema up to date."""
    from provisioner.store.db import migrate as run_migrations

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    run_migrations(settings.store_url)
    console.print(f"store up to date: {settings.store_url.split('@')[-1]}")


def _show_demo_tokens(tokens: dict[str, str], tokens_file: Path) -> None:
    """The demo users' tokens go to the terminal (/dev/tty), never to stdout or stderr,
    which a service manager or `scripts/run > log` keeps in a log file; without a
    terminal only where to find them (the 0600 file) is printed."""
    from provisioner.workflow.people.users import DEMO_USERS

    try:
        tty = open("/dev/tty", "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError:
        tty = None
    if tty is None:
        console.print(f"demo users and their API tokens: {tokens_file} (0600)", soft_wrap=True)
        return
    with tty:
        table = Table("user", "role", "token (Authorization: Bearer …)")
        for username, role, _agency, _name in DEMO_USERS:
            table.add_row(username, role, tokens.get(username, f"(see {tokens_file})"))
        Console(file=tty).print(table)
    console.print(f"demo users' tokens: on the terminal, and in {tokens_file} (0600)",
                  soft_wrap=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="listen address")] = None,
    port: Annotated[int | None, typer.Option(help="listen port")] = None,
) -> None:
    """API + web pages + in-process worker + scheduler."""
    from provisioner.bootstrap.container import Container
    from provisioner.bootstrap.serve import serve as run
    from provisioner.ops.logs import configure_logging
    from provisioner.workflow.people.users import ensure_demo_users

    settings = get_settings()
    configure_logging(json_logs=settings.log_json)  # JSON lines with job and request ids
    host, port = host or settings.host, port or settings.port

    def announce(container: Container) -> None:
        if settings.environment == "lab":
            tokens_file = settings.data_dir / "demo-users.json"
            tokens = ensure_demo_users(container.store, tokens_file)
            _show_demo_tokens(tokens, tokens_file)
        url = f"http://{host}:{port}"
        console.print(
            f"provisioner: {url}/  ·  API docs {url}/docs  ·  status {url}/api/v1/status/<fqdn>"
        )

    run(settings, host=host, port=port, before_start=announce)


@app.command()
def availability(label: str) -> None:
    """Is a label free? Naming rules, the registry and every authoritative name server."""
    from provisioner.bootstrap.container import build_container

    v = build_container(get_settings()).availability.check(label)
    console.print_json(json.dumps(v.__dict__))
    if v.available is not True:
        raise typer.Exit(1)


@app.command()
def status(fqdn: str) -> None:
    """Is a subdomain live? DNS on every name server + HTTP."""
    from provisioner.bootstrap.container import build_container

    s = build_container(get_settings()).status.status(fqdn)
    console.print_json(json.dumps(s.__dict__, default=str))
    if not s.live:
        raise typer.Exit(1)


def main() -> None:
    """Entry point: a project error ends the command with its message, not a traceback; so do
    settings that cannot be used (each reason on a line of its own)."""
    from pydantic import ValidationError

    from provisioner.domain.errors import ProvisionerError

    try:
        app()
    except ProvisionerError as exc:
        console.print(f"[red]{exc.message}[/]")
        raise SystemExit(1) from None
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        console.print("[red]Pengaturan tidak dapat dipakai / The settings cannot be used:[/]")
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            console.print(f"  {where + ': ' if where else ''}{error['msg']}", style="red",
                          markup=False, highlight=False)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
