"""What a request's page offers and tells: retirement only for a site that went live (a
failed request that never did is undone by the technical team, not retired); the timeline
puts a database failure under the database server, and shows a site its SOP held at dev."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from api.web.actions import actions_for
from api.web.timeline import timeline
from provisioner.domain.actors import Actor, Role
from provisioner.store.read_models import JobView, RequestView, StepView

OPD = Actor("opd", Role.OPD, "Dinas Kesehatan")
NOW = datetime(2026, 12, 2, 8, tzinfo=UTC)


def request(state: str, *, live_at: datetime | None, jobs: tuple[JobView, ...] = ()) -> RequestView:
    values: dict[str, object] = {}
    for f in dataclasses.fields(RequestView):
        if f.default is not dataclasses.MISSING:
            continue
        values[f.name] = None
    values.update(
        id=1, ticket="SUB-20261202-0001", label="dinkes", zone="demokab.go.id",
        fqdn="dinkes.demokab.go.id", agency="Dinas Kesehatan", purpose="Situs",
        contact_name="Siti", contact_email="siti@dinkes.demokab.go.id", contact_phone="",
        letter_number="1/2026", letter_date=date(2026, 12, 1), hosting=True, state=state,
        created_by="opd", created_at=NOW, live_at=live_at, request_type="new", jobs=jobs,
        decided_at=NOW,
    )  # fmt: skip
    return RequestView(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "live_at", "offered"),
    [
        ("live", NOW, True),
        ("letter_issued", NOW, True),
        ("failed", NOW, True),  # a live site whose later job failed
        ("failed", None, False),  # never live: undone, not retired
        ("provisioning", None, False),
        ("dev_ready", None, False),
    ],
)
def test_retirement_is_offered_only_for_a_site_that_went_live(
    state: str, live_at: datetime | None, offered: bool
) -> None:
    actions = actions_for(OPD, request(state, live_at=live_at), None, has_letters=False)
    assert actions.propose_retire is offered


def job(kind: str, state: str, steps: dict[str, str]) -> JobView:
    return JobView(
        id=1, request_id=1, kind=kind, state=state, error=None, public_error=None,
        created_by="net", created_at=NOW, started_at=NOW, finished_at=None,
        cancel_requested=False,
        steps=tuple(
            StepView(name, name, status, None, None, None, 1, NOW, NOW, None, None)
            for name, status in steps.items()
        ),
    )  # fmt: skip


def test_a_database_failure_is_the_database_servers_not_the_dev_servers() -> None:
    failed = job("provision", "failed", {"dns": "done", "database": "failed",
                                          "site_dev": "done", "checks_dev": "planned"})
    moments = {m.key: m.status for m in timeline(request("failed", live_at=None, jobs=(failed,)))}
    assert moments["tl.db"] == "failed" and moments["tl.dev"] != "failed"


def test_the_certificate_beside_the_dev_branch_does_not_hold_the_dev_phase_open() -> None:
    """Production has begun while the certificate is still being asked for: one phase is
    where the request stands; a certificate that fails still shows, in its phase."""
    steps = {"dns": "done", "cert_prod": "running", "database": "done", "site_dev": "done",
             "checks_dev": "done", "site_prod": "running", "tls_prod": "planned"}
    moments = {m.key: m.status for m in timeline(
        request("provisioning", live_at=None, jobs=(job("provision", "running", steps),)))}
    assert (moments["tl.dev"], moments["tl.prod"]) == ("done", "current")
    assert list(moments.values()).count("current") == 1
    failed = job("provision", "failed", {**steps, "cert_prod": "failed", "site_prod": "done"})
    moments = {m.key: m.status for m in timeline(request("failed", live_at=None, jobs=(failed,)))}
    assert moments["tl.dev"] == "failed"


def test_a_site_held_at_dev_shows_it_waits_then_its_release() -> None:
    dev = job("provision_dev", "done", {"dns": "done", "database": "done", "site_dev": "done",
                                         "checks_dev": "done"})
    held = [m.key for m in timeline(request("dev_ready", live_at=None, jobs=(dev,)))]
    assert held[-1] == "tl.dev_ready" and "tl.prod" not in held
    release = job("provision_prod", "running", {"source_prod": "done", "site_prod": "running",
                                                "checks_prod": "planned", "letter": "planned"})
    moments = timeline(request("production", live_at=None, jobs=(dev, release)))
    assert [m.key for m in moments][-2:] == ["tl.prod", "tl.letter"]
    assert "tl.dev_ready" not in [m.key for m in moments]


def test_a_site_held_at_dev_offers_release_to_the_technical_team_only() -> None:
    dev = job("provision_dev", "done", {"dns": "done", "site_dev": "done", "checks_dev": "done"})
    held = request("dev_ready", live_at=None, jobs=(dev,))
    tech = actions_for(Actor("t", Role.TECHNICAL), held, None, has_letters=False).site
    assert tech.release and tech.deploy and not tech.promote and not tech.rollback
    net = actions_for(Actor("n", Role.NETWORK), held, None, has_letters=False).site
    assert not net.any
