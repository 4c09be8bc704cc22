"""Notifications against real local servers: an aiosmtpd SMTP server and an HTTP
receiver on 127.0.0.1, both started by the test. Each message carries the direct link."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from provisioner.adapters.mail import SmtpMailer
from provisioner.adapters.webhook import WebhookSender
from provisioner.domain.actors import Role
from provisioner.domain.states import RequestState
from provisioner.store.db import Store, migrate
from provisioner.store.models.requests import Request
from provisioner.store.repositories import audit as audit_repo, requests as requests_repo
from provisioner.workflow.people.notify import Notifier
from provisioner.workflow.people.users import add_user

PUBLIC = "http://127.0.0.1:8080"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        body = envelope.content.decode("utf-8", "replace")
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), body))
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[tuple[list[dict[str, Any]], str]]:
    got: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("content-length", "0"))
            got.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Store, int]]:
    url = f"sqlite:///{tmp_path / 'notify.db'}"
    migrate(url)
    st = Store(url)
    add_user(st, "jaringan", Role.NETWORK, None, email="jaringan@diskominfo.demokab.go.id")
    add_user(st, "kadis", Role.APPROVER, None, email="kadis@diskominfo.demokab.go.id")
    add_user(st, "opd", Role.OPD, "Dinas Kesehatan", email="opd@dinkes.demokab.go.id")
    with st.session() as s:
        req = Request(
            ticket="SUB-20261123-0001", label="dinkes", zone="demokab.go.id",
            fqdn="dinkes.demokab.go.id", agency="Dinas Kesehatan", purpose="Situs resmi",
            contact_name="Siti", contact_email="siti@dinkes.demokab.go.id",
            letter_number="400/1/2026", letter_date=date(2026, 11, 20), hosting=False,
            target_address="127.0.2.12", state=RequestState.SUBMITTED, created_by="opd",
        )  # fmt: skip
        s.add(req)
        s.flush()
        request_id = req.id
    yield st, request_id
    st.dispose()


def test_email_to_the_network_team_with_the_direct_link(smtp, store) -> None:
    inbox, port = smtp
    st, request_id = store
    notifier = Notifier(st, PUBLIC, SmtpMailer("127.0.0.1", port, sender="provisioner@demo"))
    notice = notifier.notify("submitted", request_id)
    assert inbox.arrived.wait(5)
    sender, rcpts, body = inbox.messages[0]
    assert sender == "provisioner@demo"
    assert rcpts == ["jaringan@diskominfo.demokab.go.id"]
    assert f"{PUBLIC}/requests/{request_id}" in body and "SUB-20261123-0001" in body
    assert notice.link == f"{PUBLIC}/requests/{request_id}"


def test_returned_request_goes_to_the_requester_and_the_contact(smtp, store) -> None:
    inbox, port = smtp
    st, request_id = store
    Notifier(st, PUBLIC, SmtpMailer("127.0.0.1", port)).notify("returned", request_id)
    assert inbox.arrived.wait(5)
    assert sorted(inbox.messages[0][1]) == ["opd@dinkes.demokab.go.id", "siti@dinkes.demokab.go.id"]


def test_webhook_gets_json_with_the_link(receiver, store) -> None:
    got, url = receiver
    st, request_id = store
    Notifier(st, PUBLIC, webhook=WebhookSender(url)).notify("overdue", request_id, "disposisi")
    assert got and got[0]["event"] == "overdue" and got[0]["ticket"] == "SUB-20261123-0001"
    assert got[0]["link"] == f"{PUBLIC}/requests/{request_id}" and "disposisi" in got[0]["text"]


def test_an_unreachable_server_is_recorded_not_raised(store) -> None:
    st, request_id = store
    dead = free_port()  # nothing listens there
    notifier = Notifier(
        st,
        PUBLIC,
        SmtpMailer("127.0.0.1", dead, timeout=2),
        WebhookSender(f"http://127.0.0.1:{dead}/hook", timeout=2),
    )
    notifier.notify("submitted", request_id)
    with st.read() as s:
        failed = [e for e in audit_repo.events_for_request(s, request_id)
                  if e.action == "notify:failed"]
    assert failed and "mail_error" in failed[0].detail and "webhook_error" in failed[0].detail
    assert f"127.0.0.1:{dead}" in failed[0].detail["mail_error"]


def test_overdue_steps_are_flagged_once_and_notified(receiver, store) -> None:
    from datetime import UTC, datetime, timedelta

    from provisioner.config import Settings
    from provisioner.workflow.people.sla import SlaService

    got, url = receiver
    st, request_id = store
    submitted = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 WITA
    with st.session() as s:
        audit_repo.record_event(s, actor="opd", action="request:submitted", request_id=request_id,
                          at=submitted)
    sla = SlaService(st, Settings(data_dir=Path("/nonexistent")),
                     Notifier(st, PUBLIC, webhook=WebhookSender(url)))
    assert sla.sweep_overdue(now=submitted + timedelta(minutes=20)) == []
    later = submitted + timedelta(hours=3)  # 12:00 WITA: disposition and name check overdue
    flagged = sla.sweep_overdue(now=later)
    assert {f.clock.step for f in flagged} == {"disposition", "availability"}
    assert sla.sweep_overdue(now=later) == []  # flagged once
    assert [g["event"] for g in got] == ["overdue", "overdue"]


def test_evaluation_reminder_six_months_after_go_live(receiver, store) -> None:
    from datetime import timedelta

    from provisioner.config import Settings
    from provisioner.store.models.base import utcnow
    from provisioner.workflow.people.sla import SlaService

    got, url = receiver
    st, request_id = store
    with st.session() as s:
        req = requests_repo.get_request(s, request_id)
        req.state = RequestState.LIVE
        req.live_at = utcnow() - timedelta(days=100)
    sla = SlaService(st, Settings(data_dir=Path("/nonexistent")),
                     Notifier(st, PUBLIC, webhook=WebhookSender(url)))
    assert sla.sweep_evaluations() == []
    assert sla.sweep_evaluations(now=utcnow() + timedelta(days=90)) == [request_id]
    assert sla.sweep_evaluations(now=utcnow() + timedelta(days=91)) == []
    assert got[-1]["event"] == "evaluation" and got[-1]["link"].endswith(f"/requests/{request_id}")
