"""Existing sites against the real lab: discovery of web-prod's hand-made vhosts (the seed of
provisioner/lab/brownfield_web.py), registration of a hand-made site and its monitoring
(status API and page, the liveness sweep, the certificate's expiry, the drift check that
flags a hand edit made over SSH), and migration under management — own user, PHP-FPM pool,
releases — and the way back, byte for byte, plus a migration that fails and leaves the
server as it was.

The lab's own hand-made sites are only read. Every test that registers, edits or migrates
works on copies of them with names of its own (same vhost text, other label), written on
web-prod over SSH with an A record in the zone, and removed afterwards with everything a
migration left (user, tree, pool, state); each test has a registry of its own.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from provisioner.adapters.inventory import read_inventory
from provisioner.adapters.remote_shell import RemoteShell
from provisioner.bootstrap import configs
from provisioner.bootstrap.container import Container, build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.errors import StepFailed, UnsafeChange
from provisioner.domain.site_names import site_user
from provisioner.jobs.periodic import liveness_sweep
from provisioner.lab.brownfield_web import (
    WEB_LOCK,
    HandMadeSite,
    arsip_site,
    ensure_a_record,
    remove_a_record,
    simpeg_site,
)
from provisioner.lab.hosts import LAB_ZONE
from provisioner.lab.packages import php_fpm_version
from provisioner.store.models.audit import Event
from provisioner.store.models.liveness import LivenessCheck
from provisioner.workflow.people.users import add_user

pytestmark = pytest.mark.lab

WEB_PROD, ADDRESS = "web-prod", "127.0.2.12"
NETWORK = Actor("net-sites", Role.NETWORK)
PASSWORD = "Kominfo-Demo-2026"
# Prints the user PHP runs as: www-data in the host's shared pool, the site user in its own.
WHOAMI = "<?php echo posix_getpwuid(posix_geteuid())['name'], \"\\n\";\n"


@pytest.fixture
def settings(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("existing-sites"),
        lab_path=lab.lab_dir,
        zones_file=lab.secrets_dir / "zones.json",
        environment="lab",
        secret_key="sites-" + secrets.token_hex(16),
    )


@pytest.fixture
def services(settings: Settings) -> Iterator[Container]:
    services = build_container(settings)
    yield services
    services.store.dispose()


@pytest.fixture
def api(services: Container) -> Iterator[TestClient]:
    tokens = {
        "net": add_user(services.store, "net", Role.NETWORK, None, password=PASSWORD),
        "opd": add_user(services.store, "opd", Role.OPD, "Dinas Kesehatan"),
    }
    app = serve_app(services, run_worker=False, run_scheduler=False)
    with TestClient(app, follow_redirects=False) as client:
        client.tokens = tokens  # type: ignore[attr-defined]
        yield client


def auth(api: TestClient, who: str = "net") -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens[who]}"}  # type: ignore[attr-defined]


Shell = Callable[[str], str]


@pytest.fixture
def on_web_prod(settings: Settings) -> Shell:
    """Run a shell command as root on web-prod (as an admin by hand); it must succeed."""
    shell = RemoteShell(configs.ssh_config(settings))
    host = next(h for h in read_inventory(settings.inventory) if h.name == WEB_PROD)

    def run(command: str) -> str:
        out = shell.run(host, command, timeout=120.0)
        # All of what it said: a failure seen once showed nothing useful in a tail.
        assert out.rc == 0, (f"{command[:400]}: rc {out.rc}\nstderr: {out.stderr}\n"
                             f"stdout: {out.stdout[-2000:]}")
        return out.stdout

    return run


def reload_apache(run: Shell) -> None:
    # Under the roles' web lock: no role run on web-prod sees a half-written change.
    run(f"flock -w 120 {WEB_LOCK} sh -c 'apache2ctl configtest && apache2ctl graceful'")


def write(path: str, text: str) -> str:
    data = base64.b64encode(text.encode()).decode()
    return (
        f"mkdir -p {shlex.quote(path.rsplit('/', 1)[0])} && printf %s {data} | base64 -d > {path}"
    )


@dataclass(frozen=True)
class Copy:
    """A copy of a lab hand-made site, written on web-prod under a label of its own."""

    site: HandMadeSite
    https: bool

    @property
    def fqdn(self) -> str:
        return self.site.fqdn

    @property
    def available(self) -> str:
        return f"/etc/apache2/sites-available/{self.site.vhost_file}"

    @property
    def enabled(self) -> str:
        return f"/etc/apache2/sites-enabled/{self.site.vhost_file}"


def ssl_vhost(site: HandMadeSite) -> str:
    return (
        f"# HTTPS, dipasang manual\n<VirtualHost *:443>\n\tServerName {site.fqdn}\n"
        f"\tDocumentRoot {site.docroot}\n\tSSLEngine on\n"
        f"\tSSLCertificateFile /etc/ssl/{site.label}/cert.pem\n"
        f"\tSSLCertificateKeyFile /etc/ssl/{site.label}/key.pem\n</VirtualHost>\n"
    )


def install(copy: Copy) -> str:
    site = copy.site
    steps = [write(copy.available, site.vhost)]
    steps += [write(f"{site.docroot}/{name}", text) for name, text in site.pages.items()]
    steps += [f"chmod -R a+rX {site.docroot}",
              f"ln -sfn ../sites-available/{site.vhost_file} {copy.enabled}"]  # fmt: skip
    if copy.https:
        ssl = f"/etc/ssl/{site.label}"
        steps += [
            f"mkdir -p {ssl}",
            f"openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN={site.fqdn} "
            f"-addext subjectAltName=DNS:{site.fqdn} -keyout {ssl}/key.pem "
            f"-out {ssl}/cert.pem 2>/dev/null",
            write(f"/etc/apache2/sites-available/{site.label}-ssl.conf", ssl_vhost(site)),
            f"ln -sfn ../sites-available/{site.label}-ssl.conf "
            f"/etc/apache2/sites-enabled/{site.label}-ssl.conf",
        ]
    return " && ".join(steps)


def remove(copy: Copy) -> str:
    """Everything of the copy and of any migration of it, gone; the pool's FPM reloaded."""
    site, user = copy.site, site_user(copy.fqdn)
    fpm = f"/etc/php/{php_fpm_version()}/fpm"
    pid = f"/run/php/php{php_fpm_version()}-fpm.pid"
    return "; ".join([
        f"rm -f {copy.enabled} {copy.available} /etc/apache2/sites-enabled/{site.label}-ssl.conf"
        f" /etc/apache2/sites-available/{site.label}-ssl.conf"
        f" /etc/apache2/sites-enabled/{copy.fqdn}.conf"
        f" /etc/apache2/sites-available/{copy.fqdn}.conf",
        f"rm -rf {site.docroot} /var/www/{copy.fqdn} /etc/ssl/{site.label}"
        f" /etc/provisioner/migrations/{copy.fqdn}",
        f"rm -f /var/log/apache2/{site.label}[-_]*.log /var/log/apache2/{copy.fqdn}-*.log",
        f"if [ -f {fpm}/pool.d/{copy.fqdn}.conf ]; then rm -f {fpm}/pool.d/{copy.fqdn}.conf;"
        f" kill -USR2 $(cat {pid}); sleep 1; fi",
        f"userdel {user} 2>/dev/null; groupdel {user} 2>/dev/null; true",
    ])  # fmt: skip


@pytest.fixture
def hand_made(lab: Settings, on_web_prod: Shell) -> Iterator[Callable[..., Copy]]:
    """Make a copy of the lab's static (`arsip`) or PHP (`simpeg`) hand-made site on
    web-prod, with its A record; all copies are removed afterwards."""
    made: list[Copy] = []

    def make(kind: str, *, https: bool = False) -> Copy:
        label = f"{kind}-{secrets.token_hex(3)}"
        if kind == "arsip":
            site = arsip_site(label)
        else:
            base = simpeg_site(php_fpm_version(), label)
            site = HandMadeSite(base.label, base.vhost_file, base.docroot, base.vhost,
                                {**base.pages, "whoami.php": WHOAMI})  # fmt: skip
        copy = Copy(site, https)
        # A copy that named the lab's own site would shadow it for everyone on the lab.
        assert f"ServerName {copy.fqdn}\n" in site.vhost
        made.append(copy)
        on_web_prod(install(copy))
        reload_apache(on_web_prod)
        ensure_a_record(lab, copy.fqdn, ADDRESS)
        return copy

    yield make
    for copy in made:
        on_web_prod(remove(copy))
        remove_a_record(lab, copy.fqdn, ADDRESS)
    if made:
        reload_apache(on_web_prod)


def get(fqdn: str, path: str = "/") -> httpx.Response:
    """The page web-prod serves for `fqdn` (as a browser whose DNS says web-prod)."""
    return httpx.get(f"http://{ADDRESS}{path}", headers={"Host": fqdn}, timeout=10.0)


def sha256_on_host(run: Shell, path: str) -> str:
    return run(f"sha256sum < {path}").split()[0]


# --- discovery ---------------------------------------------------------------------------


def test_discovery_finds_the_lab_hand_made_vhosts_with_their_names(
    services: Container, api: TestClient
) -> None:
    hosts = {h.host: h for h in services.existing_sites.discover(NETWORK)}
    prod = hosts[WEB_PROD]
    assert prod.error is None
    found = {v.match.fqdn: v for v in prod.vhosts}
    arsip, simpeg = found[f"arsip.{LAB_ZONE}"], found[f"simpeg.{LAB_ZONE}"]
    assert arsip.vhost.aliases == (f"www.arsip.{LAB_ZONE}",)
    assert (arsip.vhost.document_root, arsip.vhost.php, arsip.vhost.managed) == (
        "/var/www/arsip", False, False)  # fmt: skip
    assert arsip.vhost.file == "/etc/apache2/sites-enabled/arsip.conf"
    assert arsip.vhost.real_file == "/etc/apache2/sites-available/arsip.conf"
    assert (simpeg.vhost.document_root, simpeg.vhost.php) == ("/var/www/simpeg", True)
    assert simpeg.vhost.php_version == php_fpm_version()
    assert arsip.match.registrable and simpeg.match.registrable
    assert found[WEB_PROD].match.kind == "outside"  # the host's own default vhost
    # Sites provisioner made on web-prod (other tests') carry the marker: never registrable.
    assert all(not v.match.registrable for v in prod.vhosts if v.vhost.managed)

    answer = api.get("/api/v1/sites/existing", headers=auth(api))
    assert answer.status_code == 200
    listed = {v["fqdn"]: v for h in answer.json()["hosts"] if h["host"] == WEB_PROD
              for v in h["vhosts"]}  # fmt: skip
    assert listed[f"simpeg.{LAB_ZONE}"]["php"] is True
    assert listed[f"arsip.{LAB_ZONE}"]["match"] == "available"
    assert api.get("/api/v1/sites/existing", headers=auth(api, "opd")).status_code == 403


# --- registration and monitoring ----------------------------------------------------------


def test_registered_hand_made_site_is_on_the_status_page_and_in_monitoring(
    services: Container, api: TestClient, hand_made: Callable[..., Copy], on_web_prod: Shell
) -> None:
    copy = hand_made("arsip", https=True)
    bad = api.post(
        "/api/v1/sites/existing",
        headers=auth(api),
        json={"host": WEB_PROD, "fqdn": "bukan nama!", "agency": "Dinas Arsip"},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "fqdn"]
    empty = api.post("/api/v1/sites/existing", headers=auth(api),
                     json={"host": WEB_PROD, "fqdn": copy.fqdn, "agency": " "})  # fmt: skip
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "agency"]

    made = api.post(
        "/api/v1/sites/existing",
        headers=auth(api),
        json={"host": WEB_PROD, "fqdn": copy.fqdn, "agency": "Dinas Arsip"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["state"] == "hand-made"
    assert made.json()["config_sha256"] == hashlib.sha256(copy.site.vhost.encode()).hexdigest()
    again = api.post(
        "/api/v1/sites/existing",
        headers=auth(api),
        json={"host": WEB_PROD, "fqdn": copy.fqdn, "agency": "Dinas Lain"},
    )
    assert again.status_code == 409
    # Registering wrote nothing: the hand-made file is the bytes it was.
    assert sha256_on_host(on_web_prod, copy.available) == made.json()["config_sha256"]

    status = api.get(f"/api/v1/status/{copy.fqdn}")
    assert status.status_code == 200
    body = status.json()
    assert body["live"] is True, body
    assert body["request"]["state"] == "existing"
    assert body["request"]["agency"] == "Dinas Arsip"
    assert body["http"]["status"] == 200
    assert 28 <= body["tls"]["days_left"] <= 30  # the hand-made self-signed certificate
    page = api.get(f"/site/{copy.fqdn}")
    assert page.status_code == 200
    assert "Dinas Arsip" in page.text

    results = liveness_sweep(services.store, services.status)
    assert results[copy.fqdn] is True
    with services.store.read() as s:
        check = s.scalars(select(LivenessCheck).where(LivenessCheck.fqdn == copy.fqdn)).one()
        assert (check.request_id, check.live) == (None, True)
        assert check.detail["tls"]["days_left"] >= 28
    history = api.get(f"/api/v1/status/{copy.fqdn}/history").json()
    assert history[0]["live"] is True

    def verdict() -> str:
        report = {d.fqdn: d for d in services.existing_sites.drift(NETWORK)}
        return report[copy.fqdn].verdict

    assert verdict() == "same"
    original = on_web_prod(f"base64 -w0 < {copy.available}")
    on_web_prod(f"echo '# diubah tangan' >> {copy.available}")  # a hand edit, over SSH
    try:
        assert verdict() == "changed"
        drift = api.get("/api/v1/sites/existing/drift", headers=auth(api)).json()["sites"]
        assert [d["verdict"] for d in drift if d["fqdn"] == copy.fqdn] == ["changed"]
        services.existing_sites.scheduled_drift()
        with services.store.read() as s:
            event = s.scalars(select(Event).where(Event.action == "site:drift")).one()
            assert event.detail["drifted"][0]["fqdn"] == copy.fqdn
        # The owner meant it: the edit becomes the registered file, drift is quiet again.
        accepted = api.post(f"/api/v1/sites/existing/{copy.fqdn}/drift/accept", headers=auth(api))
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["config_sha256"] == sha256_on_host(on_web_prod, copy.available)
        assert verdict() == "same"
    finally:
        on_web_prod(f"printf %s {original} | base64 -d > {copy.available}")
    assert verdict() == "changed"  # back to the first bytes: no longer the accepted ones
    services.existing_sites.accept_drift(copy.fqdn, NETWORK)
    assert verdict() == "same"

    # A hand-made HTTPS vhost for the name is not moved by a migration: refused, unchanged.
    refused = api.get(f"/api/v1/sites/existing/{copy.fqdn}/migration", headers=auth(api))
    assert refused.status_code == 409
    assert "HTTPS" in refused.json()["detail"]

    # The registration is taken back (the wrong agency): off the status page and out of
    # monitoring, the name free to register again, nothing on the server changed.
    url = f"/api/v1/sites/existing/{copy.fqdn}"
    assert api.delete(url, headers=auth(api, "opd")).status_code == 403
    gone = api.delete(url, headers=auth(api))
    assert gone.status_code == 200, gone.text
    assert gone.json()["fqdn"] == copy.fqdn
    listing = api.get("/api/v1/sites/existing/registered", headers=auth(api)).json()["sites"]
    assert copy.fqdn not in [x["fqdn"] for x in listing]
    assert api.get(f"/api/v1/status/{copy.fqdn}").status_code == 404  # no longer anyone's
    assert copy.fqdn not in liveness_sweep(services.store, services.status)
    assert api.delete(url, headers=auth(api)).status_code == 404
    assert sha256_on_host(on_web_prod, copy.available) == made.json()["config_sha256"]
    with services.store.read() as s:
        event = s.scalars(select(Event).where(Event.action == "site:unregistered")).one()
        assert event.detail["agency"] == "Dinas Arsip" and event.actor == "net"
    right = api.post("/api/v1/sites/existing", headers=auth(api),
                     json={"host": WEB_PROD, "fqdn": copy.fqdn, "agency": "Dinas Perpustakaan"})
    assert right.status_code == 201, right.text
    assert api.get(f"/api/v1/status/{copy.fqdn}").json()["request"]["agency"] == (
        "Dinas Perpustakaan")


# --- migration and the way back -----------------------------------------------------------


def test_php_site_is_migrated_under_management_and_back_byte_for_byte(
    services: Container, api: TestClient, hand_made: Callable[..., Copy], on_web_prod: Shell
) -> None:
    copy = hand_made("simpeg")
    user = site_user(copy.fqdn)
    before = get(copy.fqdn)
    assert before.status_code == 200 and "fpm-fcgi 42" in before.text
    assert get(copy.fqdn, "/whoami.php").text.strip() == "www-data"
    original = on_web_prod(f"base64 -w0 < {copy.available}")
    register = {"host": WEB_PROD, "fqdn": copy.fqdn, "agency": "BKPSDM"}
    assert api.post("/api/v1/sites/existing", headers=auth(api), json=register).status_code == 201

    shown = api.get(f"/api/v1/sites/existing/{copy.fqdn}/migration", headers=auth(api))
    assert shown.status_code == 200, shown.text
    plan = shown.json()
    assert any(line.startswith(f"+ user {user}") for line in plan["summary"])
    assert any("PHP-FPM pool" in line for line in plan["summary"])
    assert any("AllowOverride All" in line for line in plan["summary"])  # not carried over
    url = f"/api/v1/sites/existing/{copy.fqdn}/migration"
    stale = api.post(
        url,
        headers=auth(api),
        json={"checksum": plan["checksum"], "extra": "Header set X-Simpeg 1"},
    )
    assert stale.status_code == 409  # not the plan that was shown
    assert on_web_prod(f"test -e /var/www/{copy.fqdn} && echo yes || echo no").strip() == "no"

    done = api.post(url, headers=auth(api), json={"checksum": plan["checksum"]})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "managed"
    after = get(copy.fqdn)
    assert (after.status_code, after.text) == (before.status_code, before.text)
    assert get(copy.fqdn, "/whoami.php").text.strip() == user  # its own pool, its own user
    tree = f"/var/www/{copy.fqdn}"
    current = on_web_prod(f"readlink {tree}/current").strip()
    assert current.startswith("releases/") and current.endswith("-migrated")
    assert on_web_prod(f"stat -c %U {tree}/current/public/index.php").strip() == user
    assert on_web_prod(f"test -e {copy.enabled} && echo yes || echo no").strip() == "no"
    assert on_web_prod(f"head -1 /etc/apache2/sites-enabled/{copy.fqdn}.conf").startswith(
        f"# Managed by provisioner for {copy.fqdn}")  # fmt: skip
    assert on_web_prod(f"base64 -w0 < {copy.available}") == original  # kept, never rewritten
    assert api.get(f"/api/v1/status/{copy.fqdn}").json()["http"]["status"] == 200
    assert {d.fqdn: d.verdict for d in services.existing_sites.drift(NETWORK)}[copy.fqdn] == "same"

    back_url = f"/api/v1/sites/existing/{copy.fqdn}/migration/back"
    way_back = api.get(back_url, headers=auth(api)).json()
    assert any(line.startswith("~ restore") for line in way_back["summary"])
    wrong = api.post(back_url, headers=auth(api), json={"checksum": "0" * 64})
    assert wrong.status_code == 409
    back = api.post(back_url, headers=auth(api), json={"checksum": way_back["checksum"]})
    assert back.status_code == 200, back.text
    assert back.json()["state"] == "hand-made"
    assert on_web_prod(f"base64 -w0 < {copy.available}") == original  # byte for byte
    assert (
        on_web_prod(f"readlink {copy.enabled}").strip()
        == f"../sites-available/{copy.site.vhost_file}"
    )
    assert (
        on_web_prod(
            f"test -e /etc/apache2/sites-enabled/{copy.fqdn}.conf && echo yes || echo no"
        ).strip()
        == "no"
    )
    again = get(copy.fqdn)
    assert (again.status_code, again.text) == (before.status_code, before.text)
    assert get(copy.fqdn, "/whoami.php").text.strip() == "www-data"
    assert {d.fqdn: d.verdict for d in services.existing_sites.drift(NETWORK)}[copy.fqdn] == "same"
    with services.store.read() as s:
        actions = [e.action for e in s.scalars(select(Event).order_by(Event.id))]
    assert actions[-3:] == ["site:migration-approved", "site:migrated", "site:migrated-back"]


def host_state(run: Shell, copy: Copy) -> dict[str, str]:
    """What a migration would change on web-prod, as text to compare."""
    fqdn = copy.fqdn
    return {
        "vhosts": run(f"apache2ctl -S 2>&1 | grep -F {fqdn} || true"),
        "file": sha256_on_host(run, copy.available),
        "link": run(f"readlink {copy.enabled}"),
        "managed": run(f"ls /etc/apache2/sites-*/{fqdn}.conf 2>/dev/null || true"),
        "tree": run(f"ls -d /var/www/{fqdn} 2>/dev/null || true"),
        "user": run(f"id {site_user(fqdn)} 2>/dev/null || true"),
        "state": run(f"ls -d /etc/provisioner/migrations/{fqdn} 2>/dev/null || true"),
    }


def test_failed_migration_leaves_the_server_as_it_was_then_a_static_site_moves_and_back(
    services: Container, hand_made: Callable[..., Copy], on_web_prod: Shell
) -> None:
    copy = hand_made("arsip")
    migrations = services.site_migrations
    services.existing_sites.register(WEB_PROD, copy.fqdn, "Dinas Arsip", NETWORK)
    before, page = host_state(on_web_prod, copy), get(copy.fqdn, "/edaran/2019.txt")
    assert page.status_code == 200

    # A directive Apache does not know, planted in the managed vhost: configtest fails.
    planted = "NoSuchDirectiveForTheMigrationTest on"
    plan = migrations.plan(copy.fqdn, NETWORK, extra=planted)
    assert any(planted in line for line in plan.plan["vhost_text"].splitlines())
    with pytest.raises(StepFailed) as failed:
        migrations.migrate(copy.fqdn, plan.checksum, NETWORK, extra=planted)
    assert "configtest" in failed.value.message
    assert host_state(on_web_prod, copy) == before
    assert get(copy.fqdn, "/edaran/2019.txt").text == page.text
    assert migrations.sites.site(copy.fqdn).state == "hand-made"

    with pytest.raises(UnsafeChange):
        migrations.migrate(copy.fqdn, plan.checksum, NETWORK)  # another plan than shown
    good = migrations.plan(copy.fqdn, NETWORK)
    assert not any("PHP-FPM" in line for line in good.summary)  # static: no pool
    assert migrations.migrate(copy.fqdn, good.checksum, NETWORK).state == "managed"
    assert get(copy.fqdn, "/edaran/2019.txt").text == page.text
    assert on_web_prod(f"stat -c %U /var/www/{copy.fqdn}/current/public/index.html").strip() == (
        site_user(copy.fqdn))  # fmt: skip
    back = migrations.plan_back(copy.fqdn, NETWORK)
    assert migrations.migrate_back(copy.fqdn, back.checksum, NETWORK).state == "hand-made"
    after = host_state(on_web_prod, copy)
    assert {k: after[k] for k in ("vhosts", "file", "link", "managed", "state")} == {
        k: before[k] for k in ("vhosts", "file", "link", "managed", "state")}  # fmt: skip
    assert get(copy.fqdn, "/edaran/2019.txt").text == page.text


# --- the page ----------------------------------------------------------------------------


def csrf_of(page: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None, "no CSRF token on the page"
    return token.group(1)


def sign_in(api: TestClient, username: str) -> None:
    login = {"username": username, "password": PASSWORD,
             "csrf_token": csrf_of(api.get("/login").text)}  # fmt: skip
    assert api.post("/login", data=login).status_code == 303


def hidden_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form that posts to `action`."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert form is not None, f"no form for {action}"
    return {
        k: html.unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0))
    }


def test_the_network_team_registers_migrates_and_takes_back_on_the_page(
    api: TestClient, hand_made: Callable[..., Copy], on_web_prod: Shell
) -> None:
    copy = hand_made("arsip")
    original = on_web_prod(f"base64 -w0 < {copy.available}")
    sign_in(api, "net")
    assert 'href="/existing-sites"' in api.get("/drift").text  # where the team finds it
    page = api.get("/existing-sites")
    assert page.status_code == 200, page.text
    assert "Situs yang sudah ada di server web" in page.text
    assert f'data-vhost="{copy.fqdn}:80"' in page.text and "dapat didaftarkan" not in page.text
    csrf = csrf_of(page.text)
    missing = api.post(
        "/existing-sites/register",
        data={"csrf_token": csrf, "host": WEB_PROD, "fqdn": copy.fqdn, "agency": ""},
    )
    assert missing.status_code == 422 and "Isi nama perangkat daerah" in missing.text
    done = api.post(
        "/existing-sites/register",
        data={"csrf_token": csrf, "host": WEB_PROD, "fqdn": copy.fqdn, "agency": "Dinas Arsip"},
    )
    assert done.status_code == 303
    listed = api.get(done.headers["location"])
    assert "didaftarkan sebagai situs yang sudah ada" in listed.text
    assert f'data-site="{copy.fqdn}"' in listed.text and ">sama<" in listed.text

    plan_page = api.get(f"/existing-sites/{copy.fqdn}/migration")
    assert plan_page.status_code == 200 and "Rencana migrasi ke pengelolaan" in plan_page.text
    action = f"/existing-sites/{copy.fqdn}/migration"
    form = hidden_fields(plan_page.text, action)
    asked = api.post(action, data=form)
    assert asked.status_code == 200 and f"Migrasikan {copy.fqdn}" in asked.text  # the question
    migrated = api.post(action, data={**form, "confirmed": "yes"})
    assert migrated.status_code == 303, migrated.text
    assert "dimigrasi ke pengelolaan provisioner" in api.get(migrated.headers["location"]).text
    assert get(copy.fqdn, "/edaran/2019.txt").status_code == 200

    api.cookies.set("lang", "en")
    back_page = api.get(f"/existing-sites/{copy.fqdn}/migration/back")
    assert "Way back to the hand-made vhost" in back_page.text and "Rencana" not in back_page.text
    back_action = f"{action}/back"
    back = api.post(back_action, data={**hidden_fields(back_page.text, back_action),
                                       "confirmed": "yes"})  # fmt: skip
    assert back.status_code == 303
    assert "is back on its hand-made vhost" in api.get(back.headers["location"]).text
    assert on_web_prod(f"base64 -w0 < {copy.available}") == original

    # Back on its hand-made vhost, its registration can be taken back too (asked first).
    listed = api.get("/existing-sites").text
    unregister = f"/existing-sites/{copy.fqdn}/unregister"
    asked = api.post(unregister, data=hidden_fields(listed, unregister))
    assert asked.status_code == 200 and f"Take back the registration of {copy.fqdn}" in asked.text
    taken = api.post(unregister, data={**hidden_fields(listed, unregister), "confirmed": "yes"})
    assert taken.status_code == 303, taken.text
    after = api.get(taken.headers["location"]).text
    assert "is no longer registered" in after and f'data-site="{copy.fqdn}"' not in after
    assert on_web_prod(f"base64 -w0 < {copy.available}") == original
