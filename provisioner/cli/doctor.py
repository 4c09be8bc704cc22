"""`provisioner doctor`: check the real setup before first use and any time after — a table
of every check (what was seen, and for each failure what to fix), or `--json`; exit 1 when
anything failed."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from provisioner.config import get_settings
from provisioner.domain.doctor import DoctorReport

console = Console()
_COLOUR = {"ok": "green", "fail": "bold red", "skip": "yellow"}


def render(report: DoctorReport, out: Console) -> None:
    """The report as a Rich table, failures with their fix."""
    table = Table("check", "target", "verdict", "fact", "what to fix", show_lines=True)
    for r in report.results:
        table.add_row(r.check, r.target, f"[{_COLOUR[r.verdict]}]{r.verdict}[/]", r.fact, r.fix)
    out.print(table)
    failures = len(report.failures)
    out.print("[green]healthy[/]" if report.healthy else f"[bold red]{failures} failing[/]")


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
) -> None:
    """Check DNS updates and name servers, SSH/sudo to every inventory host, Apache, PHP-FPM
    and MariaDB, the repository server from the web hosts, ACME and SMTP."""
    from provisioner.bootstrap.doctor import build_doctor

    report = build_doctor(get_settings()).run()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        render(report, Console(width=max(console.width, 160)))
    if not report.healthy:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `doctor` to the main CLI."""
    app.command()(doctor)
