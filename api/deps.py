"""Dependencies as Annotated aliases, one per service (full-stack-fastapi-template deps.py).
The services are the ones the composition root (provisioner.bootstrap) built; api/ knows
its container only as the AppContainer protocol, typed by the services' own classes."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Header, HTTPException, Request

from api.session import CSRF_HEADER, CSRF_REFUSED, SAFE_METHODS, SESSION_COOKIE, session_info
from provisioner.config import Settings
from provisioner.domain.actors import Actor
from provisioner.domain.errors import Forbidden
from provisioner.jobs.control import JobControl, JobUndoService
from provisioner.ops.readiness import Readiness
from provisioner.workflow.dns_adoption.service import DnsAdoption
from provisioner.workflow.hosting.deployments import DeploymentService
from provisioner.workflow.hosting.existing_sites import ExistingSites
from provisioner.workflow.hosting.retirement import RetirementService
from provisioner.workflow.hosting.site_migration import SiteMigrations
from provisioner.workflow.letters import LetterService
from provisioner.workflow.monitoring.drift import DriftService
from provisioner.workflow.monitoring.status import StatusService
from provisioner.workflow.people.services import PeopleServices
from provisioner.workflow.people.sessions import csrf_matches
from provisioner.workflow.people.users import UserService
from provisioner.workflow.procedures.catalog import SopCatalog
from provisioner.workflow.procedures.documents import ProcedureDocuments
from provisioner.workflow.procedures.service import Procedures
from provisioner.workflow.requests.availability import AvailabilityService
from provisioner.workflow.requests.decisions import RequestDecisions
from provisioner.workflow.requests.documents import LetterScans
from provisioner.workflow.requests.intake import RequestIntake
from provisioner.workflow.requests.queries import RequestQueries
from provisioner.workflow.requests.revisions import RequestRevisions


class AppContainer(Protocol):
    """What the API and the pages use of the composition root's container."""

    @property
    def settings(self) -> Settings: ...
    @property
    def availability(self) -> AvailabilityService: ...
    @property
    def status(self) -> StatusService: ...
    @property
    def intake(self) -> RequestIntake: ...
    @property
    def decisions(self) -> RequestDecisions: ...
    @property
    def revisions(self) -> RequestRevisions: ...
    @property
    def documents(self) -> LetterScans: ...
    @property
    def queries(self) -> RequestQueries: ...
    @property
    def job_control(self) -> JobControl: ...
    @property
    def deployments(self) -> DeploymentService: ...
    @property
    def retirements(self) -> RetirementService: ...
    @property
    def undo(self) -> JobUndoService: ...
    @property
    def drift(self) -> DriftService: ...
    @property
    def dns_adoption(self) -> DnsAdoption: ...
    @property
    def existing_sites(self) -> ExistingSites: ...
    @property
    def site_migrations(self) -> SiteMigrations: ...
    @property
    def letters(self) -> LetterService: ...
    @property
    def sops(self) -> SopCatalog: ...
    @property
    def procedures(self) -> Procedures: ...
    @property
    def procedure_documents(self) -> ProcedureDocuments: ...
    @property
    def people(self) -> PeopleServices: ...

    def readiness(self) -> Readiness: ...

    def job_counts(self) -> dict[str, int]: ...


def container_of(request: Request) -> AppContainer:
    """The container create_app() was given."""
    container: AppContainer = request.app.state.container
    return container


ContainerDep = Annotated[AppContainer, Depends(container_of)]  # the process: readiness, metrics


def _settings(request: Request) -> Settings:
    return container_of(request).settings


def _availability(request: Request) -> AvailabilityService:
    return container_of(request).availability


def _status(request: Request) -> StatusService:
    return container_of(request).status


def _intake(request: Request) -> RequestIntake:
    return container_of(request).intake


def _decisions(request: Request) -> RequestDecisions:
    return container_of(request).decisions


def _revisions(request: Request) -> RequestRevisions:
    return container_of(request).revisions


def _documents(request: Request) -> LetterScans:
    return container_of(request).documents


def _queries(request: Request) -> RequestQueries:
    return container_of(request).queries


def _job_control(request: Request) -> JobControl:
    return container_of(request).job_control


def _deployments(request: Request) -> DeploymentService:
    return container_of(request).deployments


def _retirements(request: Request) -> RetirementService:
    return container_of(request).retirements


def _undo(request: Request) -> JobUndoService:
    return container_of(request).undo


def _drift(request: Request) -> DriftService:
    return container_of(request).drift


def _dns_adoption(request: Request) -> DnsAdoption:
    return container_of(request).dns_adoption


def _existing_sites(request: Request) -> ExistingSites:
    return container_of(request).existing_sites


def _site_migrations(request: Request) -> SiteMigrations:
    return container_of(request).site_migrations


def _letters(request: Request) -> LetterService:
    return container_of(request).letters


def _sops(request: Request) -> SopCatalog:
    return container_of(request).sops


def _procedures(request: Request) -> Procedures:
    return container_of(request).procedures


def _procedure_documents(request: Request) -> ProcedureDocuments:
    return container_of(request).procedure_documents


def users_of(request: Request) -> UserService:
    return container_of(request).people.users


SettingsDep = Annotated[Settings, Depends(_settings)]
AvailabilityDep = Annotated[AvailabilityService, Depends(_availability)]
StatusDep = Annotated[StatusService, Depends(_status)]
IntakeDep = Annotated[RequestIntake, Depends(_intake)]
DecisionsDep = Annotated[RequestDecisions, Depends(_decisions)]
RevisionsDep = Annotated[RequestRevisions, Depends(_revisions)]
DocumentsDep = Annotated[LetterScans, Depends(_documents)]
QueriesDep = Annotated[RequestQueries, Depends(_queries)]
JobControlDep = Annotated[JobControl, Depends(_job_control)]
DeploymentsDep = Annotated[DeploymentService, Depends(_deployments)]
RetirementsDep = Annotated[RetirementService, Depends(_retirements)]
UndoDep = Annotated[JobUndoService, Depends(_undo)]  # what a failed job left, taking it back
DriftDep = Annotated[DriftService, Depends(_drift)]
DnsAdoptionDep = Annotated[DnsAdoption, Depends(_dns_adoption)]
ExistingSitesDep = Annotated[ExistingSites, Depends(_existing_sites)]  # vhosts found, registered
SiteMigrationsDep = Annotated[SiteMigrations, Depends(_site_migrations)]
LettersDep = Annotated[LetterService, Depends(_letters)]
SopsDep = Annotated[SopCatalog, Depends(_sops)]
ProceduresDep = Annotated[Procedures, Depends(_procedures)]
ProcedureDocumentsDep = Annotated[ProcedureDocuments, Depends(_procedure_documents)]
UsersDep = Annotated[UserService, Depends(users_of)]


def current_actor(
    request: Request, users: UsersDep, authorization: Annotated[str | None, Header()] = None
) -> Actor:
    """A script's bearer token, or else a signed-in browser's session cookie — which on
    unsafe methods must also carry the session's CSRF token in `X-CSRF-Token`."""
    if authorization and authorization.lower().startswith("bearer "):
        try:
            return users.actor_for_token(authorization[7:].strip())
        except Forbidden as exc:
            raise HTTPException(status_code=401, detail=exc.message) from None
    info = session_info(request) if request.cookies.get(SESSION_COOKIE) else None
    if info is not None:
        if request.method not in SAFE_METHODS and not csrf_matches(
            info.csrf_token, request.headers.get(CSRF_HEADER)
        ):
            raise HTTPException(status_code=403, detail=CSRF_REFUSED)
        return info.actor
    raise HTTPException(
        status_code=401,
        detail="Perlu token: Authorization: Bearer <token> / A bearer token is required",
        headers={"WWW-Authenticate": "Bearer"},
    )


CurrentActor = Annotated[Actor, Depends(current_actor)]
