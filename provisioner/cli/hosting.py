"""`provisioner deploy | promote | rollback` — the technical team's jobs from a shell
(registered on the main app by provisioner/cli/main.py). Who acts is the owner of the API token
given with --token or PROVISIONER_TOKEN; a `serve`/`worker` process runs the queued job,
or `--here` runs it in this process."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.console import Console

from provisioner.config import get_settings

console = Console()
TokenOpt = Annotated[
    str, typer.Option(envvar="PROVISIONER_TOKEN", help="API token of a technical-team user")
]
HereOpt = Annotated[bool, typer.Option("--here", help="run the job in this process")]
WaitOpt = Annotated[bool, typer.Option(help="wait until the job ends and print its steps")]


def _run(kind: str, token: str, here: bool, wait: bool, **params: Any) -> None:
    from provisioner.bootstrap.container import build_container
    from provisioner.store.repositories import jobs as jobs_repo

    services = build_container(get_settings())
    actor = services.people.users.actor_for_token(token)
    job = getattr(services.deployments, kind)(actor=actor, **params)
    console.print(f"{kind}: pekerjaan / job {job.id} queued")
    if here:
        with services.store.session() as s:
            claimed = jobs_repo.claim_job(s, job.id, services.runner.worker_id)
        if claimed:
            services.runner.run(job.id)
    if not (wait or here):
        return
    while True:
        shown = services.queries.job(job.id, actor)
        if shown.state not in ("queued", "running"):
            break
        time.sleep(0.5)
    for step in shown.steps:
        colour = {"done": "green", "failed": "red"}.get(step.status, "yellow")
        console.print(f"  [{colour}]{step.status:8}[/] {step.name} {step.server or ''} "
                      f"{step.error or ''}")
    console.print(f"job {job.id}: {shown.state} {shown.error or ''}")
    if shown.state != "done":
        raise typer.Exit(1)


def deploy(
    fqdn: Annotated[str, typer.Argument(help="the site's production name")],
    token: TokenOpt,
    branch: Annotated[str | None, typer.Option(help="branch head to deploy")] = None,
    commit: Annotated[str | None, typer.Option(help="exact commit (40 hex)")] = None,
    here: HereOpt = False,
    wait: WaitOpt = True,
) -> None:
    """Deploy a branch or commit to the dev server and run the dev checks."""
    _run("deploy", token, here, wait, fqdn=fqdn, branch=branch, commit=commit)


def promote(
    fqdn: Annotated[str, typer.Argument(help="the site's production name")],
    token: TokenOpt,
    commit: Annotated[str | None, typer.Option(help="a commit that passed dev")] = None,
    here: HereOpt = False,
    wait: WaitOpt = True,
) -> None:
    """Put the commit that passed dev on production; roll back automatically on failure."""
    _run("promote", token, here, wait, fqdn=fqdn, commit=commit)


def rollback(
    fqdn: Annotated[str, typer.Argument(help="the site's production name")],
    token: TokenOpt,
    here: HereOpt = False,
    wait: WaitOpt = True,
) -> None:
    """Move production back to the release before the current one and check it."""
    _run("rollback", token, here, wait, fqdn=fqdn)


def register(app: typer.Typer) -> None:
    """Add the deploy / promote / rollback commands to the main CLI."""
    for command in (deploy, promote, rollback):
        app.command()(command)
