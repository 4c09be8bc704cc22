"""The audit log's hash chain on a real SQLite store: edits, deletions and insertions made
behind provisioner's back with raw SQL are found and named by `verify`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from provisioner.store.db import Store, migrate
from provisioner.store.repositories import audit as audit_repo
from provisioner.workflow.people.audit import AuditService


@pytest.fixture
def store(tmp_path: Path) -> Store:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    migrate(url)
    st = Store(url)
    for i in range(5):
        with st.session() as s:
            audit_repo.record_event(
                s,
                actor=f"user{i}",
                action="test:step",
                detail={"n": i, "nested": {"b": [1, 2]}},
                client_ip="127.0.0.1",
                before={"state": "a"},
                after={"state": "b"},
            )
    yield st
    st.dispose()


def test_an_untouched_log_verifies(store: Store) -> None:
    report = AuditService(store).verify()
    assert report.ok and report.entries == 5, report.summary()


def test_editing_an_entry_with_raw_sql_is_detected_and_named(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE events SET actor='mallory' WHERE seq=3"))
    report = AuditService(store).verify()
    assert not report.ok
    assert [p.seq for p in report.problems] == [3]
    assert "#3" in report.summary() and "edited" in report.summary()


def test_editing_the_detail_json_is_detected(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET detail=:d WHERE seq=2"), {"d": json.dumps({"n": 99})}
        )
    assert [p.seq for p in AuditService(store).verify().problems] == [2]


def test_rewriting_an_entry_and_its_hash_breaks_the_next_link(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET actor='mallory', hash=:h WHERE seq=2"), {"h": "f" * 64}
        )
    problems = AuditService(store).verify().problems
    assert {p.seq for p in problems} == {2, 3}


def test_deleting_an_entry_is_detected(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE seq=4"))
    report = AuditService(store).verify()
    assert not report.ok and report.problems[0].seq == 4
    assert "deleted" in report.summary()


def test_deleting_the_last_entry_is_detected(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE seq=5"))
    report = AuditService(store).verify()
    assert not report.ok and report.problems[0].seq == 5


def test_an_entry_inserted_outside_the_chain_is_detected(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO events (at, actor, action) VALUES ('2026-01-01 00:00:00', 'x', 'y')")
        )
    assert not AuditService(store).verify().ok


def test_export_json_and_csv_carry_every_entry_and_hash(store: Store) -> None:
    audit = AuditService(store)
    rows = json.loads(audit.export("json"))
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[1]["prev_hash"] == rows[0]["hash"] and rows[0]["client_ip"] == "127.0.0.1"
    assert rows[0]["before"] == {"state": "a"} and rows[0]["after"] == {"state": "b"}
    csv_text = audit.export("csv")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("seq,at,actor,action") and len(lines) == 6
    assert rows[4]["hash"] in csv_text


def test_entries_written_before_the_chain_existed_join_it(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from provisioner.store.db import MIGRATIONS_DIR

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0001")  # the schema before the people area
    st = Store(url)
    with st.engine.begin() as conn:
        for i in range(3):
            conn.execute(
                text("INSERT INTO events (at, actor, action, detail) VALUES (:at, 'old', 'x', :d)"),
                {"at": f"2026-11-2{i} 10:00:00.000000", "d": json.dumps({"i": i})},
            )
    migrate(url)
    with st.session() as s:
        audit_repo.record_event(s, actor="new", action="y")
    report = AuditService(st).verify()
    assert report.ok and report.entries == 4, report.summary()
    st.dispose()
