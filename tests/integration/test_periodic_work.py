"""Periodic work on the real lab and the machine's real PostgreSQL: the liveness sweep asks
every name server and keeps a history the API and status page show; in a cluster the
scheduler's trigger becomes one procrastinate task per name that a `provisioner worker` runs."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import dns.name
import dns.query
import dns.rcode
import dns.update
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from provisioner.adapters.dns.tsig import TsigKey
from provisioner.bootstrap.container import build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.states import RequestState
from provisioner.store.models.audit import Event
from provisioner.store.models.requests import Request
from provisioner.store.repositories import liveness as liveness_repo
from tests.integration.test_jobs_cluster import PG, _worker_env

pytestmark = pytest.mark.lab


def test_liveness_sweep_keeps_a_history_shown_by_the_api_and_page(
    lab: Settings, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", lab_path=lab.lab_dir, environment="lab",
                        secret_key="periodic-" + "p" * 32)
    services = build_container(settings)
    # A live site in the registry whose A record points at ns1's address: on both name
    # servers, and nothing serves HTTP there. (Infrastructure names such as ns1 itself
    # are never checked on demand, so the site is a name of its own.)
    label = f"sweep-{secrets.token_hex(3)}"
    fqdn = f"{label}.{settings.zone}"
    _record_behind_the_registry(settings, fqdn, "127.0.2.53")
    with services.store.session() as s:
        s.add(Request(ticket="SUB-20261129-9001", label=label, zone=settings.zone, fqdn=fqdn,
                      agency="Dinas Uji", purpose="uji", contact_name="Uji",
                      contact_email="uji@demokab.go.id", letter_number="1/UJI/2026",
                      letter_date=date(2026, 11, 29), hosting=False,
                      state=RequestState.LIVE, created_by="uji"))
    for _ in range(2):
        services.periodic_work["liveness"]()

    with TestClient(serve_app(services, run_worker=False, run_scheduler=False)) as c:
        history = c.get(f"/api/v1/status/{fqdn}/history").json()
        assert len(history) == 2
        newest = history[0]
        assert newest["live"] is False
        assert set(newest["nameservers"]) == {f"ns1.{settings.zone}", f"ns2.{settings.zone}"}
        assert all(v == ["127.0.2.53"] for v in newest["nameservers"].values())
        assert newest["http"]["ok"] is False
        page = c.get(f"/site/{fqdn}")
        assert page.status_code == 200 and "Riwayat pemeriksaan berkala" in page.text
        assert c.get("/api/v1/status/bad_name!/history").status_code == 422

    with services.store.session() as s:  # history is pruned by age, not kept forever
        assert liveness_repo.prune_liveness(s, older_than=timedelta(0)) == 2
    services.store.dispose()
    _record_behind_the_registry(settings, fqdn, None)


def _record_behind_the_registry(settings: Settings, fqdn: str, address: str | None) -> None:
    """Set (or with None delete) `fqdn`'s A record on ns1 with the lab's key, and wait
    until ns2 serves the same (NOTIFY + transfer)."""
    key = TsigKey.load(settings.tsig_key_path)
    update = dns.update.UpdateMessage(settings.zone, keyring=key.dns_key())
    name = dns.name.from_text(fqdn)
    if address is None:
        update.delete(name)
    else:
        update.replace(name, 60, "A", address)
    assert dns.query.tcp(update, settings.dns_primary, timeout=3).rcode() == dns.rcode.NOERROR
    want = [address] if address else []
    deadline = time.monotonic() + 15
    while True:
        out = subprocess.run(["dig", "@127.0.2.54", fqdn, "A", "+short", "+norecurse"],
                             capture_output=True, text=True, check=True).stdout.split()
        if out == want or time.monotonic() > deadline:
            assert out == want, out
            return
        time.sleep(0.2)


def test_in_a_cluster_periodic_work_is_one_task_per_name_run_by_a_worker(
    lab: Settings, tmp_path: Path
) -> None:
    db = f"prov_periodic_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    settings = Settings(data_dir=tmp_path / "data", lab_path=lab.lab_dir, environment="lab",
                        secret_key="periodic-" + "q" * 32, dispatch="procrastinate",
                        database_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}")
    services = build_container(settings)
    worker = None
    try:
        assert services.dispatcher is not None
        for _ in range(3):  # a scheduler whose triggers fire while nobody works yet
            services.dispatcher.periodic("dns-drift")
        with psycopg.connect(f"{PG}/{db}") as conn:
            waiting = conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = "
                                   "'provisioner.periodic' AND status = 'todo'").fetchone()
        assert waiting == (1,)

        worker = subprocess.Popen([sys.executable, "-m", "provisioner.cli", "worker"],
                                  env=_worker_env(settings, "periodic-w1"), cwd=PROJECT_ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status != "succeeded":
            time.sleep(0.5)
            with psycopg.connect(f"{PG}/{db}") as conn:
                row = conn.execute("SELECT status FROM procrastinate_jobs WHERE task_name = "
                                   "'provisioner.periodic'").fetchone()
            status = row[0] if row else None
        assert status == "succeeded"
        with services.store.read() as s:  # the drift check ran in the worker, on every zone
            drift = s.scalars(select(Event).where(Event.action == "dns:drift")).all()
        assert len(drift) == 1 and settings.zone in drift[0].detail
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(20)
        services.store.dispose()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
