"""Applications no one here wrote, as published (provisioner/lab/published_apps.py: WordPress
from Debian's package, CodeIgniter 4's app starter from the npm registry, SQLite's web site
from Debian's sqlite3-doc), each taken by the real workflow from a request to a live
production site on the lab, then redeployed (shared directories survive) and rolled back.
Checked with independent clients: curl and httpx against the web hosts on loopback, ssh to
the hosts, MariaDB on the database host."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from provisioner.adapters.ssh_options import ssh_command
from provisioner.bootstrap.configs import ssh_config
from provisioner.bootstrap.container import Container, build_container
from provisioner.config import Settings
from provisioner.domain.site_account import site_user
from provisioner.lab.published_apps import OVERLAYS, git_root, seed_published_apps
from tests.hosting_workflow_support import (
    OPD,
    TECH,
    delete_branch,
    new_label,
    provision,
    push_branch,
    run_job,
)

pytestmark = pytest.mark.lab


@dataclass
class Site:
    repo: str
    label: str
    request_id: int
    job_id: int
    state: str

    @property
    def fqdn(self) -> str:
        return f"{self.label}.demokab.go.id"

    @property
    def dev_fqdn(self) -> str:
        return f"{self.label}.dev.demokab.go.id"

    @property
    def root(self) -> str:
        return f"/var/www/{self.fqdn}"

    @property
    def user(self) -> str:
        return site_user(self.fqdn)


# repository -> the request's stack (None: PHP, the default)
APPS = {"wordpress": None, "codeigniter4": None, "sqlite-doc": "static"}


@pytest.fixture(scope="module")
def services(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    # A lab brought up before these repositories existed gets them now (idempotent).
    seed_published_apps(git_root(lab.lab_dir))
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("published"),
        lab_path=lab.lab_dir,
        secret_key="published-" + "s" * 24,
    )
    built = build_container(settings)
    yield built
    built.store.dispose()


@pytest.fixture(scope="module")
def sites(services: Container) -> Iterator[dict[str, Site]]:
    """The three apps provisioned once, side by side (the roles serialise what must be), for
    every test of the module; taken back at the end."""

    def one(repo: str) -> Site:
        label = new_label(repo.split("-")[0][:8])
        request_id, job_id, state = provision(services, label, repo=repo, stack=APPS[repo])
        return Site(repo, label, request_id, job_id, state)

    with ThreadPoolExecutor(max_workers=len(APPS)) as pool:
        futures = [pool.submit(one, repo) for repo in APPS]
    made = {f.result().repo: f.result() for f in futures if f.exception() is None}
    try:
        for future in futures:
            future.result()  # a request that could not even be submitted fails the module
        yield made
    finally:
        with ThreadPoolExecutor(max_workers=len(APPS)) as pool:
            list(pool.map(services.runner.undo, [site.job_id for site in made.values()]))


def ssh(settings: Settings, address: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ssh_command(ssh_config(settings)), f"root@{address}", command],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


# What a browser sends: CodeIgniter answers an error with an empty body to a client that does
# not ask for HTML.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8"


def get(address: str, fqdn: str, path: str = "/") -> httpx.Response:
    return httpx.get(f"http://{address}{path}", headers={"Host": fqdn, "Accept": BROWSER_ACCEPT},
                     timeout=10, trust_env=False)  # fmt: skip


def curl_head(address: str, fqdn: str, path: str) -> str:
    """Status line and headers as curl sees them (no redirect followed)."""
    out = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-D", "-", "--noproxy", "*", "-H", f"Host: {fqdn}",
         f"http://{address}{path}"],
        capture_output=True, text=True, timeout=15, check=True,
    )  # fmt: skip
    return out.stdout


def steps(services: Container, job_id: int) -> dict[str, Any]:
    return {s.name: s for s in services.queries.job(job_id, TECH).steps}


def failures(services: Container, job_id: int) -> dict[str, Any]:
    """Each step that did not finish, with its error and the end of its log."""
    return {n: (s.status, s.error, s.log[-1500:]) for n, s in steps(services, job_id).items()
            if s.status not in ("done", "skipped")}  # fmt: skip


def home_check(services: Container, job_id: int, step: str) -> dict[str, Any]:
    checks = steps(services, job_id)[step].outputs["checks"]
    return next(c for c in checks if c["name"] == "http_home")


def assert_live(services: Container, site: Site) -> None:
    done = steps(services, site.job_id)
    failed = {n: s.error for n, s in done.items() if s.status not in ("done", "skipped")}
    assert site.state == "done", failed
    assert services.queries.get(site.request_id, OPD).state == "letter_issued"


def current_head(settings: Settings, site: Site, *, dev: bool = False) -> str:
    """The commit `current` serves on production (or dev)."""
    address = settings.web_dev_address if dev else settings.web_prod_address
    root = shlex.quote(f"/var/www/{site.dev_fqdn if dev else site.fqdn}/current/")
    return ssh(settings, address,
               f"git -c safe.directory='*' -C {root} rev-parse HEAD").stdout.strip()  # fmt: skip


# --- WordPress: a CMS whose first visit redirects to its installer ------------------------


def test_wordpress_is_live_and_its_installer_redirect_passes_the_home_check(
    services: Container, sites: dict[str, Site]
) -> None:
    wp = sites["wordpress"]
    assert_live(services, wp)
    prod = services.settings.web_prod_address
    for step, fqdn in (("checks_dev", wp.dev_fqdn), ("checks_prod", wp.fqdn)):
        home = home_check(services, wp.job_id, step)
        assert home["passed"], home
        assert home["chain"] == [f"302 http://{fqdn}/", f"200 http://{fqdn}/wp-admin/install.php"]
        assert "redirected, ends in HTTP 200" in home["detail"]
    # What a visitor's client sees: the redirect, then WordPress's installer.
    head = curl_head(prod, wp.fqdn, "/")
    assert head.startswith("HTTP/1.1 302")
    assert f"location: http://{wp.fqdn}/wp-admin/install.php" in head.lower()
    installer = get(prod, wp.fqdn, "/wp-admin/install.php")
    assert installer.status_code == 200 and "WordPress" in installer.text
    # WordPress reached its database with the settings from .env: it asks to be installed
    # instead of "Error establishing a database connection".
    assert "database connection" not in installer.text


def test_wordpress_front_controller_htaccess_php_settings_and_cron(
    services: Container, sites: dict[str, Site]
) -> None:
    wp = sites["wordpress"]
    settings = services.settings
    prod = settings.web_prod_address
    # A pretty permalink is no file: Apache hands it to index.php (FallbackResource), which
    # sends the visitor to the installer like the home page.
    permalink = get(prod, wp.fqdn, "/2026/01/selamat-datang/")
    assert permalink.status_code == 302
    assert permalink.headers["location"].endswith("/wp-admin/install.php")
    # The plugin's own .htaccess is honoured for AuthConfig: its PHP is closed, its CSS open.
    assert get(prod, wp.fqdn, "/wp-content/plugins/akismet/akismet.php").status_code == 403
    assert get(prod, wp.fqdn, "/wp-content/plugins/akismet/_inc/akismet.css").status_code == 200
    # Dot files stay closed with the document root at the release's root.
    assert get(prod, wp.fqdn, "/.env").status_code == 404
    assert get(prod, wp.fqdn, "/.git/HEAD").status_code == 404
    pool = f"/etc/php/8.2/fpm/pool.d/{wp.fqdn}.conf"
    cron = f"/etc/cron.d/provisioner-{wp.user}"
    keys = "\\(upload_max_filesize\\|post_max_size\\|memory_limit\\)"
    seen = ssh(settings, prod, f"grep -h '^php_admin_value\\[{keys}\\]' {pool}; "
                               f"grep -h WP_HTTP_BLOCK_EXTERNAL {wp.root}/shared/.env; "
                               f"stat -c '%a %U' {cron}; grep -v '^#' {cron}")  # fmt: skip
    assert seen.returncode == 0, seen.stderr
    lines = seen.stdout.splitlines()
    assert lines[:4] == [
        "php_admin_value[memory_limit] = 256M",
        "php_admin_value[post_max_size] = 34M",
        "php_admin_value[upload_max_filesize] = 32M",
        'WP_HTTP_BLOCK_EXTERNAL="true"',
    ]
    assert lines[4] == "644 root"
    entry = next(line for line in lines if line.startswith("*/15 * * * * "))
    assert entry.split()[5] == wp.user
    assert f"cd {wp.root}/current && ( php wp-cron.php ) >> {wp.root}/logs/cron.log 2>&1" in entry
    # The entry runs as cron would run it: as the site user, in the current release.
    command = entry.split(None, 6)[6]
    ran = ssh(settings, prod, f"runuser -u {wp.user} -- sh -c {shlex.quote(command)}; echo rc=$?")
    assert ran.stdout.strip().endswith("rc=0"), ran


# --- CodeIgniter 4: every path through its front controller, settings from .env ----------


def test_codeigniter_routes_paths_through_index_php_with_its_env_settings(
    services: Container, sites: dict[str, Site]
) -> None:
    ci = sites["codeigniter4"]
    assert_live(services, ci)
    settings = services.settings
    prod = settings.web_prod_address
    home = get(prod, ci.fqdn, "/")
    assert home.status_code == 200 and "Welcome to CodeIgniter" in home.text
    # CodeIgniter read its .env: app.CSPEnabled (a fixed value of the manifest) makes it send
    # a Content-Security-Policy, which it does not by default.
    assert "default-src 'self'" in home.headers.get("content-security-policy", "")
    assert "Environment: production" in home.text
    # /home is no file: index.php answers it through CodeIgniter's router (its health URL,
    # checked on dev and production); an unknown path gets CodeIgniter's own 404 page.
    assert get(prod, ci.fqdn, "/home").status_code == 200
    missing = get(prod, ci.fqdn, "/tidak/ada")
    assert missing.status_code == 404 and "404 - File Not Found" in missing.text
    health = next(c for c in steps(services, ci.job_id)["checks_prod"].outputs["checks"]
                  if c["name"] == "http_health")  # fmt: skip
    assert health["passed"], health
    # The app's database keys in .env carry the site's own settings (the ones the database
    # check reached the database with, as the site user); outside public/ nothing is served.
    req = services.queries.get(ci.request_id, OPD)
    env = ssh(settings, prod, f"grep '^database.default' {ci.root}/shared/.env").stdout
    assert f'database.default.hostname="{settings.db_address}"' in env
    assert f'database.default.database="{req.db_name}"' in env
    assert f'database.default.username="{req.db_user}"' in env
    assert 'database.default.DBDriver="MySQLi"' in env
    database = next(c for c in steps(services, ci.job_id)["checks_prod"].outputs["checks"]
                    if c["name"] == "database_reachable")  # fmt: skip
    assert database["passed"], database
    assert get(prod, ci.fqdn, "/app/Config/App.php").status_code == 404
    assert get(prod, ci.fqdn, "/.env").status_code == 404
    # writable/ lives in shared/ (the site user's), linked from the release.
    link = ssh(settings, prod, f"readlink {ci.root}/current/writable; "
                               f"stat -c '%U %a' {ci.root}/shared/writable {ci.root}/shared; "
                               f"ls {ci.root}/shared/writable")  # fmt: skip
    out = link.stdout.split("\n")
    assert out[0] == f"{ci.root}/shared/writable"
    assert out[1:3] == [f"{ci.user} 755", "root 751"]
    assert {"cache", "logs", "session", "uploads"} <= set(out[3:])


# --- A static site: no PHP, no database -------------------------------------------------


def test_static_site_is_served_as_published_without_php_or_database(
    services: Container, sites: dict[str, Site]
) -> None:
    doc = sites["sqlite-doc"]
    assert_live(services, doc)
    settings = services.settings
    prod = settings.web_prod_address
    home = get(prod, doc.fqdn, "/")
    assert home.status_code == 200 and "SQLite Home Page" in home.text
    assert get(prod, doc.fqdn, "/lang.html").status_code == 200
    assert "image/gif" in get(prod, doc.fqdn, "/images/sqlite370_banner.gif").headers.get(
        "content-type", ""
    )
    done = steps(services, doc.job_id)
    assert done["database"].status in ("skipped", "done")
    detected = done["site_dev"].outputs["manifest"]["detected"]
    assert detected == ["document root: . (detected)", "stack: static (index.html, no index.php)"]
    pool = ssh(settings, prod, f"test -e /etc/php/8.2/fpm/pool.d/{doc.fqdn}.conf; echo $?")
    assert pool.stdout.strip() == "1"  # no PHP-FPM pool


# --- A manifest that does not follow the schema ------------------------------------------


def test_a_deploy_with_a_wrong_manifest_fails_naming_the_field_and_changes_nothing(
    services: Container, sites: dict[str, Site]
) -> None:
    ci = sites["codeigniter4"]
    settings = services.settings
    before = current_head(settings, ci, dev=True)
    manifest = json.loads((OVERLAYS / "codeigniter4" / "provisioner.json").read_text())
    manifest["php"]["memory_limit"] = "banyak"
    branch = f"{ci.label}-salah"
    push_branch(settings, branch, {"provisioner.json": json.dumps(manifest)}, repo=ci.repo)
    try:
        deploy = services.deployments.deploy(ci.fqdn, TECH, branch=branch)
        assert run_job(services, deploy.id) == "failed"
    finally:
        delete_branch(settings, branch, repo=ci.repo)
    failed = failures(services, deploy.id)
    status, error, _ = failed["source_dev"]
    assert status == "failed"
    assert "provisioner.json is invalid at php.memory_limit" in error
    assert '"banyak" is not allowed here' in error
    assert failed["site_dev"][0] == "planned"  # dev was not touched
    assert current_head(settings, ci, dev=True) == before
    assert get(settings.web_dev_address, ci.dev_fqdn, "/").status_code == 200


# --- Redeploy (shared directories survive) and roll back -------------------------------

KEPT = {
    "wordpress": (
        "wp-content/uploads/2026/01/surat-edaran.txt",
        "/wp-content/uploads/2026/01/surat-edaran.txt",
    ),
    "codeigniter4": ("writable/uploads/lampiran.txt", None),
    "sqlite-doc": (None, None),
}


@pytest.mark.parametrize("repo", list(APPS))
def test_redeploy_keeps_the_shared_directories_then_roll_back(
    services: Container, sites: dict[str, Site], repo: str
) -> None:
    site = sites[repo]
    assert_live(services, site)
    settings = services.settings
    prod = settings.web_prod_address
    first = current_head(settings, site)
    kept, url = KEPT[repo]
    if kept:  # what the site's users uploaded meanwhile, on production
        path = shlex.quote(f"{site.root}/current/{kept}")
        wrote = ssh(settings, prod, f"runuser -u {site.user} -- sh -c 'mkdir -p \"$(dirname "
                                    f"{path})\" && echo disimpan > {path}'")  # fmt: skip
        assert wrote.returncode == 0, wrote.stderr
    branch = f"{site.label}-v2"
    second = push_branch(settings, branch, {"VERSI-OPD.txt": "2\n"}, repo=repo)
    try:  # production clones the commit too: the branch stays until it is promoted
        deploy = services.deployments.deploy(site.fqdn, TECH, branch=branch)
        assert run_job(services, deploy.id) == "done", failures(services, deploy.id)
        promote = services.deployments.promote(site.fqdn, TECH)
        assert run_job(services, promote.id) == "done", failures(services, promote.id)
    finally:
        delete_branch(settings, branch, repo=repo)
    assert current_head(settings, site) == second
    if kept:
        survived = ssh(settings, prod, f"cat {shlex.quote(f'{site.root}/current/{kept}')}")
        assert survived.stdout == "disimpan\n", survived
    if url:
        assert get(prod, site.fqdn, url).text == "disimpan\n"

    back = services.deployments.rollback(site.fqdn, TECH)
    assert run_job(services, back.id) == "done", failures(services, back.id)
    assert current_head(settings, site) == first
    if kept:
        still = ssh(settings, prod, f"cat {shlex.quote(f'{site.root}/current/{kept}')}")
        assert still.stdout == "disimpan\n", still
    if repo == "wordpress":  # production's checks after the rollback followed the redirect
        home = home_check(services, back.id, "checks_prod")
        assert home["passed"] and home["chain"][-1].endswith("/wp-admin/install.php"), home
