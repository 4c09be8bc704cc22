"""Operator commands: `worker`, `scheduler`, `backup`, `restore` (registered on the main
`provisioner` app by provisioner/cli/main.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from provisioner.config import get_settings

console = Console()


def worker(
    concurrency: Annotated[int | None, typer.Option(help="jobs at once in this process")] = None,
) -> None:
    """Run jobs: a procrastinate worker (dispatch=procrastinate) or the in-process worker
    threads against the store (dispatch=inline). Stops on SIGTERM/SIGINT."""
    from provisioner.bootstrap.container import build_container
    from provisioner.bootstrap.serve import until_signal
    from provisioner.ops.logs import configure_logging

    settings = get_settings()
    configure_logging(json_logs=settings.log_json)
    services = build_container(settings)
    log = logging.getLogger("provisioner.worker")
    log.info("worker %s starting (dispatch=%s)", services.runner.worker_id, settings.dispatch)
    if settings.dispatch == "procrastinate":
        from provisioner.jobs.dispatch_procrastinate import run_worker

        run_worker(
            settings,
            services.store,
            services.runner,
            services.periodic_work,
            concurrency=concurrency,
        )
        return
    if concurrency:
        services.worker.threads = concurrency
    until_signal(services.worker.start, services.worker.stop)


def scheduler() -> None:
    """Run only the scheduler. Several may run: exactly one is leader (a lease in the
    store) and enqueues the periodic work, the others stand by and take over when it dies.
    With dispatch=procrastinate the `provisioner worker`s run that work; with the embedded
    default (inline) a thread of this process does."""
    from provisioner.bootstrap.container import build_container
    from provisioner.bootstrap.serve import scheduler_for, until_signal
    from provisioner.ops.logs import configure_logging

    settings = get_settings()
    configure_logging(json_logs=settings.log_json)
    services = build_container(settings)
    sched = scheduler_for(services)

    def stop() -> None:
        sched.shutdown(wait=False)
        services.dispatcher.close()

    until_signal(sched.start, stop)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    )


def backup(
    dest: Annotated[Path | None, typer.Argument(help="archive to write (.tar.gz)")] = None,
) -> None:
    """Back up the store (online) and every letter, upload and job log into one archive."""
    from provisioner.ops.backup import backup as run_backup

    settings = get_settings()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dest = dest or settings.data_dir.parent / f"provisioner-backup-{stamp}.tar.gz"
    with _progress() as bar:
        task = bar.add_task("backup", total=None)
        path = run_backup(
            settings,
            dest,
            lambda what, i, n: bar.update(
                task, completed=i, total=n, description=f"backup {what[:40]}"
            ),
        )
    console.print(f"backup: {path}")


def restore(
    archive: Annotated[Path, typer.Argument(help="archive from `provisioner backup`")],
) -> None:
    """Restore an archive into this node's data directory and store (meant for a fresh one)."""
    from provisioner.ops.backup import restore as run_restore
    from provisioner.store.db import migrate

    settings = get_settings()
    with _progress() as bar:
        task = bar.add_task("restore", total=None)
        result = run_restore(
            settings,
            archive,
            lambda what, i, n: bar.update(
                task, completed=i, total=n, description=f"restore {what[:40]}"
            ),
        )
    migrate(settings.store_url)  # an older backup is brought up to this version's schema
    console.print(f"restore: {result['files']} files, {result['paths_rewritten']} paths moved")


def register(app: typer.Typer) -> None:
    """Add the operator commands to the main CLI."""
    app.command()(worker)
    app.command()(scheduler)
    app.command()(backup)
    app.command()(restore)
