"""What a provisioning job that stopped part-way left on the servers, read from its journal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioner.domain.standing_changes import can_undo, standing_changes

PLAN: dict[str, Any] = {
    "dns": {"zone": "demokab.go.id", "changes": [
        {"action": "create", "name": "x.demokab.go.id", "rtype": "A", "ttl": 300,
         "value": "127.0.2.12", "previous": None},
        {"action": "create", "name": "x.dev.demokab.go.id", "rtype": "A", "ttl": 300,
         "value": "127.0.2.11", "previous": None},
    ]},
    "hosting": {
        "vhosts": [{"host": "web-dev", "fqdn": "x.dev.demokab.go.id"},
                   {"host": "web-prod", "fqdn": "x.demokab.go.id"}],
        "database": {"host": "db", "name": "site_x", "user": "u_x"},
    },
}  # fmt: skip
DNS_OUT = {
    "records": ["+ A x.demokab.go.id 127.0.2.12 (ttl 300)"],
    "verified_on": {"x.demokab.go.id": {"ns1.demokab.go.id": "serial 1",
                                        "ns2.demokab.go.id": "serial 1"}},
}  # fmt: skip


@dataclass
class Row:
    name: str
    status: str
    server: str | None = None
    outputs: dict[str, Any] | None = None


def journal(*rows: Row) -> list[Row]:
    return list(rows)


def test_failed_dev_checks_leave_dns_database_and_the_dev_vhost_standing() -> None:
    steps = journal(
        Row("dns", "done", None, DNS_OUT),
        Row("database", "done", "db", {"host": "db", "database": "site_x", "user": "u_x"}),
        Row("site_dev", "done", "web-dev", {"host": "web-dev", "fqdn": "x.dev.demokab.go.id",
                                            "release": "20260101-abc"}),
        Row("checks_dev", "failed", "web-dev"),
        Row("site_prod", "planned"), Row("checks_prod", "planned"), Row("letter", "planned"),
    )
    changes = standing_changes("provision", steps, PLAN)
    assert [c.step for c in changes] == ["dns", "database", "site_dev"]
    dns, db, dev = changes
    assert dns.server == "ns1.demokab.go.id, ns2.demokab.go.id"
    assert dns.items == ("+ A x.demokab.go.id 127.0.2.12 (ttl 300)",)
    assert dns.text == "Rekaman DNS tertulis / DNS records written"
    assert "site_x" in db.text and "u_x" in db.text and db.server == "db"
    assert "x.dev.demokab.go.id" in dev.text and dev.server == "web-dev"
    assert not any(c.partial or c.undoing for c in changes)
    assert can_undo("provision", "failed", changes)


def test_a_failed_database_step_stands_for_nothing_it_is_all_or_none() -> None:
    steps = journal(Row("dns", "done", None, DNS_OUT), Row("database", "failed", "db"))
    assert [c.step for c in standing_changes("provision", steps, PLAN)] == ["dns"]


def test_a_database_step_stopped_by_a_cancel_may_stand_in_part() -> None:
    steps = journal(Row("dns", "done", None, DNS_OUT), Row("database", "failed", "db"))
    db = standing_changes("provision", steps, PLAN, cancelled=True)[-1]
    assert db.step == "database" and db.partial and "site_x" in db.text


def test_a_failed_site_step_may_stand_in_part_named_from_the_plan() -> None:
    steps = journal(Row("dns", "done", None, DNS_OUT), Row("site_dev", "failed", "web-dev"))
    dev = standing_changes("provision", steps, PLAN)[-1]
    assert dev.partial and "x.dev.demokab.go.id" in dev.text and "in part" in dev.text


def test_a_failed_dns_step_lists_the_planned_records_as_possibly_written() -> None:
    (dns,) = standing_changes("provision", journal(Row("dns", "failed", "ns1")), PLAN)
    assert dns.partial and len(dns.items) == 2 and "in part" in dns.text


def test_undone_checks_and_letters_stand_for_nothing() -> None:
    steps = journal(
        Row("dns", "undone", None, DNS_OUT),
        Row("checks_prod", "failed", "web-prod"),
        Row("site_prod", "undone", "web-prod", {"fqdn": "x.demokab.go.id"}),
        Row("tls_prod", "done", "web-prod", {"status": "unavailable"}),
        Row("letter", "done", None, {"number": "1"}),
    )
    changes = standing_changes("provision", steps, PLAN)
    assert changes == ()
    assert not can_undo("provision", "failed", changes)


def test_steps_being_undone_still_stand_until_they_are_undone() -> None:
    steps = journal(Row("dns", "undone", None, DNS_OUT),
                    Row("database", "undoing", "db", {"database": "site_x", "user": "u_x"}))
    (db,) = standing_changes("provision", steps, PLAN)
    assert db.undoing and not db.partial


def test_other_kinds_of_job_and_unfinished_jobs_cannot_be_undone() -> None:
    steps = journal(Row("site_dev", "done", "web-dev", {"fqdn": "x.dev.demokab.go.id"}))
    assert standing_changes("deploy", steps, PLAN) == ()
    changes = standing_changes("provision", steps, PLAN)
    assert can_undo("provision", "cancelled", changes)
    assert not can_undo("provision", "running", changes)
    assert not can_undo("provision", "done", changes)
