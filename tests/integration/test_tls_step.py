"""TLS in the provisioning job, on the real lab: the approved plan names the production
certificate, `tls_prod` gets it from pebble over HTTP-01 after `site_prod`, `checks_prod`
verifies HTTPS against pebble's current root and records the expiry, the status API shows
it — and with the CA away the site still goes live over HTTP, the step says why, and the
scheduled renewal gets the certificate later. The checks also prove each web host reaches
the site's database as the site user.

Claims are checked outside provisioner too: ssl handshakes, raw HTTP, ls over ssh.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.checks import tls_check
from provisioner.adapters.https_vhost import HttpsVhost, TlsRole
from provisioner.adapters.ssh_options import ssh_command
from provisioner.adapters.tls import (
    TlsUnavailable,
    certificate_info,
    fetch_ca_roots,
)
from provisioner.bootstrap.configs import ansible_config, ssh_config, tls_config
from provisioner.bootstrap.container import Container, build_container, build_tls_renewal
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.errors import StepFailed
from provisioner.jobs.runner import site_spec
from provisioner.steps.base import StepContext
from provisioner.steps.tls import TlsPlaybook
from provisioner.store.repositories import requests as requests_repo
from provisioner.workflow.monitoring.renewal import pending_tls_sites
from tests.hosting_workflow_support import NET, TECH, get_site, new_label, provision

pytestmark = pytest.mark.lab

WEB_PROD = "127.0.2.12"
CA_AWAY = "https://127.0.2.53:14999/dir"  # ns1's address, a port nobody listens on

# Jobs each container ran that the module's teardown takes back (the container is frozen).
_UNDO: dict[int, list[int]] = {}


def undo_jobs(container: Container) -> list[int]:
    return _UNDO.setdefault(id(container), [])


def _services(lab: Settings, data: Path, **over: object) -> Container:
    settings = Settings(
        data_dir=data, lab_path=lab.lab_dir, secret_key="tls-step-" + "s" * 24, **over
    )
    built = build_container(settings)
    return built


def _close(services: Container) -> None:
    for job_id in undo_jobs(services):
        services.runner.undo(job_id)
    services.store.dispose()


@pytest.fixture(scope="module")
def services(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    built = _services(lab, tmp_path_factory.mktemp("tls"))
    yield built
    _close(built)


@pytest.fixture(scope="module")
def away(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    built = _services(lab, tmp_path_factory.mktemp("tlsaway"), acme_directory_url=CA_AWAY)
    yield built
    _close(built)


def ssh(settings: Settings, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ssh_command(ssh_config(settings)), f"root@{WEB_PROD}", command],
        capture_output=True, text=True, timeout=60, check=False,
    )


def pebble_roots(settings: Settings, path: Path) -> str:
    assert settings.acme_roots_url
    path.write_text(fetch_ca_roots(settings.acme_roots_url,
                                   str(settings.secrets_dir / "acme" / "ca.pem")))
    return str(path)


def job_steps(services: Container, job_id: int) -> dict[str, object]:
    return {s.name: s for s in services.queries.job(job_id, TECH).steps}


def checks_by_name(step: object) -> dict[str, dict[str, object]]:
    return {c["name"]: c for c in step.outputs["checks"]}  # type: ignore[attr-defined]


def test_provisioning_gets_a_certificate_and_checks_https_and_the_database(
    services: Container, tmp_path: Path
) -> None:
    label = new_label("tls")
    fqdn = f"{label}.demokab.go.id"
    started = time.monotonic()
    request_id, job_id, state = provision(services, label)
    undo_jobs(services).append(job_id)
    took = time.monotonic() - started
    steps = job_steps(services, job_id)
    assert state == "done", {n: (s.status, s.error) for n, s in steps.items()}  # type: ignore[attr-defined]

    # The plan that was approved named the certificate; the job ran it after site_prod.
    req = services.queries.get(request_id, NET)
    assert req.plan and req.plan["hosting"]["tls"] == [
        {"host": "web-prod", "fqdn": fqdn, "acme": services.settings.acme_directory_url}
    ]
    names = list(steps)
    assert names.index("site_prod") + 1 == names.index("tls_prod") == names.index("checks_prod") - 1
    tls = steps["tls_prod"].outputs  # type: ignore[attr-defined]
    assert (tls["status"], tls["https"], tls["host"]) == ("issued", True, "web-prod"), tls

    # checks_prod verified HTTPS against pebble's root and recorded the expiry.
    prod = steps["checks_prod"]
    checks = checks_by_name(prod)
    assert checks["tls"]["passed"] and fqdn in str(checks["tls"]["detail"])
    record = prod.outputs["tls"]  # type: ignore[attr-defined]
    assert record["https"] and record["days_left"] > 30 and record["not_after"]
    assert fqdn in record["names"]
    # Independently: the chain verifies for the name against the roots pebble serves now.
    ok, detail = tls_check(WEB_PROD, fqdn, ca_file=pebble_roots(services.settings,
                                                                  tmp_path / "roots.pem"))
    assert ok, detail

    # Both web hosts reached the site's database with the site's own credentials.
    for step, host in (("checks_dev", "web-dev"), ("checks_prod", "web-prod")):
        db = checks_by_name(steps[step])["database_reachable"]
        assert db["passed"] and host in str(db["detail"]), db
        assert req.db_user and f"{req.db_user}@" in str(db["detail"])

    # The status API shows the certificate's expiry.
    app = serve_app(services, run_worker=False, run_scheduler=False)
    with TestClient(app) as client:
        status = client.get(f"/api/v1/status/{fqdn}").json()
    assert status["live"] and status["tls"]["ok"], status
    assert status["tls"]["not_after"][:10] == record["not_after"][:10]

    # tls_prod installed the HTTPS vhost over SSH from the role's templates: the role itself
    # (tls.yml through Ansible, as the renewal runs it) finds it exactly as it renders it
    # and rewrites nothing.
    conf = f"/etc/apache2/sites-available/{fqdn}.ssl.conf"
    before = ssh(services.settings, f"stat -c %Y.%Z {conf}; sha1sum {conf}").stdout
    again = TlsPlaybook(AnsibleAdapter(ansible_config(services.settings)),
                        tls_config(services.settings)).run(
        host="web-prod", fqdn=fqdn, run_dir=tmp_path / "role", step="role-again")  # fmt: skip
    assert again.outputs.get("tls_status") == "valid", again.outputs
    assert ssh(services.settings, f"stat -c %Y.%Z {conf}; sha1sum {conf}").stdout == before

    # cert_prod asked for the name in a directory of its own and moved the lineage into
    # /etc/letsencrypt: real certbot, run the renewal's way, renews it in place from there.
    renewed = TlsPlaybook(AnsibleAdapter(ansible_config(services.settings)),
                          tls_config(services.settings)).run(
        host="web-prod", fqdn=fqdn, run_dir=tmp_path / "renew", step="renew",
        force=True)  # fmt: skip
    assert renewed.outputs.get("tls_status") == "renewed", renewed.outputs
    lineage = ssh(services.settings, f"readlink /etc/letsencrypt/live/{fqdn}/cert.pem; "
                                     f"grep -c staging /etc/letsencrypt/renewal/{fqdn}.conf; "
                                     f"ls /etc/letsencrypt/.staging").stdout.split()
    assert lineage == [f"../../archive/{fqdn}/cert2.pem", "0"], lineage

    # An HTTPS vhost Apache refuses (configtest): the step fails saying so, and the host
    # keeps the configuration it had — same file, HTTPS still served for the name.
    broken = tmp_path / "tls-role"
    shutil.copytree(services.settings.playbooks_dir / "roles" / "tls", broken)
    ssl_template = broken / "templates" / "ssl.conf.j2"
    ssl_template.write_text(ssl_template.read_text().replace(
        "    SSLEngine on\n", "    SSLEngine on\n    NoSuchDirective here\n"))  # fmt: skip
    with pytest.raises(StepFailed, match="HTTPS configuration refused, previous configuration"):
        HttpsVhost(ssh_config(services.settings), TlsRole(broken)).ensure(
            WEB_PROD, fqdn, step="tls_prod")  # fmt: skip
    assert ssh(services.settings, f"sha1sum {conf}").stdout.split()[0] == before.split()[1]
    assert fqdn in certificate_info(WEB_PROD, fqdn).subject_names

    # Undo of the TLS step alone: HTTPS gone, HTTP still served; a second undo is a no-op.
    with services.store.read() as s:
        spec = site_spec(requests_repo.get_request(s, request_id), services.settings,
                         services.runner.box)
    ctx = StepContext(job_id=job_id, step="tls_prod", site=spec, outputs={},
                      run_dir=services.settings.runs_dir / f"job-{job_id}" / "tls_prod",
                      log=functools.partial(print))
    services.runner.steps["tls_prod"].undo(ctx)
    left = ssh(services.settings, f"ls /etc/apache2/sites-enabled/{fqdn}.ssl.conf "
                                  f"/etc/apache2/sites-available/{fqdn}.ssl.conf "
                                  f"/etc/letsencrypt/live/{fqdn}")
    assert left.stdout.strip() == "" and left.stderr.count("No such file") == 3, left
    assert get_site(WEB_PROD, fqdn).status_code == 200
    # Port 443 may still serve other sites: what matters is no certificate for this name.
    with contextlib.suppress(TlsUnavailable):
        assert fqdn not in certificate_info(WEB_PROD, fqdn).subject_names
    services.runner.steps["tls_prod"].undo(ctx)  # idempotent
    print(f"provisioning with TLS: {took:.1f} s, tls_prod {tls['seconds']} s")


def test_ca_away_the_site_goes_live_over_http_and_the_renewal_gets_it_later(
    away: Container, tmp_path: Path
) -> None:
    label = new_label("tlsaway")
    fqdn = f"{label}.demokab.go.id"
    request_id, job_id, state = provision(away, label)
    undo_jobs(away).append(job_id)
    steps = job_steps(away, job_id)
    assert state == "done", {n: (s.status, s.error) for n, s in steps.items()}  # type: ignore[attr-defined]

    tls = steps["tls_prod"]
    assert tls.status == "done"  # type: ignore[attr-defined]
    out = tls.outputs  # type: ignore[attr-defined]
    assert (out["status"], out["https"]) == ("unavailable", False), out
    assert "the CA could not be reached" in out["warning"] and "renewal" in out["warning"]
    assert "WARNING tls_prod" in tls.log  # type: ignore[attr-defined]
    checks = checks_by_name(steps["checks_prod"])
    assert checks["tls"]["passed"] and "no certificate yet" in str(checks["tls"]["detail"])
    assert steps["checks_prod"].outputs["tls"]["https"] is False  # type: ignore[attr-defined]
    assert away.queries.get(request_id, NET).state == "letter_issued"
    # HTTP serves, there is no HTTPS vhost for the name.
    assert "provisioner-sample-app" in get_site(WEB_PROD, fqdn).text
    assert ssh(away.settings, f"test -e /etc/apache2/sites-enabled/{fqdn}.ssl.conf").returncode
    no_tls = away.status.status(fqdn).tls
    assert no_tls is not None and no_tls["ok"] is False and "not_after" not in no_tls

    # The store says this site still waits for its certificate; once the CA is back (the
    # lab's real pebble), the scheduled renewal gets it.
    assert ("web-prod", fqdn) in pending_tls_sites(away.store)
    back = Settings(data_dir=away.settings.data_dir, lab_path=away.settings.lab_dir,
                    secret_key=away.settings.secret_key)
    report = build_tls_renewal(back, away.store).renew()
    mine = [e for e in report if e.get("fqdn") == fqdn]
    assert mine and mine[0]["tls_status"] == "issued" and mine[0]["pending"], report
    ok, detail = tls_check(WEB_PROD, fqdn, ca_file=pebble_roots(back, tmp_path / "roots.pem"))
    assert ok, detail
    # Now it has HTTPS: no longer retried as pending, just watched for expiry.
    again = [e for e in build_tls_renewal(back, away.store).renew()
             if e.get("fqdn") == fqdn]
    assert again and "pending" not in again[0] and "tls_status" not in again[0], again
