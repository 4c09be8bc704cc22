"""site.yml without an Ansible run (adapters.site_release) on the lab's real web hosts: it
leaves the host exactly as the vhost and deploy roles do — the role run by Ansible right
after changes nothing, and it changes nothing on a site the role made — and it refuses as
the roles do, leaving the host as it was.

Claims are checked outside provisioner: ssh (sha1sum, readlink, ls, stat), HTTP with httpx.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.site_release import SiteOverSsh
from provisioner.bootstrap.configs import ansible_config, ssh_config
from provisioner.config import Settings
from provisioner.domain.errors import StepFailed
from provisioner.domain.site_names import site_user
from tests.integration.test_hosting_roles import DB_ADDRESS, GIT_ADDRESS, WEB_DEV, get, git, ssh

pytestmark = pytest.mark.lab

ZONE = "demokab.go.id"


@dataclass
class App:
    repo_url: str
    good: str
    second: str
    bad_hook: str


def commit(lab: Settings, work: Path, message: str) -> str:
    """Everything in the work tree committed; the commit's sha."""
    git(lab, work, "add", "-A")
    git(lab, work, "commit", "-qm", message)
    return git(lab, work, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def app(lab: Settings) -> Iterator[App]:
    """A PHP app that keeps uploads/ in shared/, has cron entries and a migrate hook;
    a second commit, and one whose hook fails."""
    name = f"ss-{secrets.token_hex(3)}.git"
    ssh(lab, GIT_ADDRESS, f"git init -q --bare -b main /srv/git/{name}")
    url = f"ssh://root@{GIT_ADDRESS}/srv/git/{name}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "public" / "uploads").mkdir(parents=True)
        (work / "public" / "uploads" / "seed.txt").write_text("seeded\n")
        (work / "public" / "index.php").write_text(
            "<?php $env = parse_ini_file(__DIR__ . '/../.env');"
            " echo 'site-step v1 ', $env['APP_NAME'] ?? '-', ' ',"
            " is_file(__DIR__ . '/../migrated.txt') ? 'migrated' : 'none';\n"
        )
        manifest = {"hooks": {"migrate": "id -un > migrated.txt"}}
        (work / "provisioner.json").write_text(json.dumps(manifest))
        git(lab, work, "init", "-q", "-b", "main")
        good = commit(lab, work, "v1")
        (work / "public" / "index.php").write_text("<?php echo 'site-step v2';\n")
        second = commit(lab, work, "v2")
        manifest["hooks"]["migrate"] = "echo migration-broke-on-purpose; exit 7"
        (work / "provisioner.json").write_text(json.dumps(manifest))
        bad = commit(lab, work, "bad hook")
        git(lab, work, "push", "-q", url, "main")
    yield App(url, good, second, bad)
    ssh(lab, GIT_ADDRESS, f"rm -rf /srv/git/{name}")


@pytest.fixture(scope="module")
def ansible(lab: Settings) -> AnsibleAdapter:
    return AnsibleAdapter(ansible_config(lab))


@pytest.fixture(scope="module")
def direct(lab: Settings) -> SiteOverSsh:
    return SiteOverSsh(ssh_config(lab), roles_dir=lab.playbooks_dir / "roles",
                       inventory=lab.inventory)  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("site-step")


@pytest.fixture
def new_site(lab: Settings, ansible: AnsibleAdapter, runs: Path) -> Iterator[Callable[[str], str]]:
    """A fresh dev-site name per call (its prefix tells the tests apart in the logs); every
    site made under it is removed afterwards."""
    made: list[str] = []

    def name(prefix: str) -> str:
        made.append(f"{prefix}{secrets.token_hex(3)}.dev.{ZONE}")
        return made[-1]

    yield name
    for fqdn in made:
        ansible.run("site_remove.yml", extravars={"site_fqdn": fqdn}, limit=WEB_DEV[0],
                    run_dir=runs / f"undo-{fqdn}", step="undo")  # fmt: skip


def params(fqdn: str, app: App, commit: str, **over: object) -> dict[str, object]:
    """Everything the site step gives site.yml, with an app layout that exercises each
    template: PHP settings, .env keys, shared directories, cron, .htaccess groups."""
    return {
        "site_fqdn": fqdn,
        "repo_url": app.repo_url,
        "commit": commit,
        "db_host": DB_ADDRESS,
        "db_name": "db_" + secrets.token_hex(3),
        "db_user": "u_" + secrets.token_hex(3),
        "db_password": "Pw-" + secrets.token_hex(8),
        "keep_releases": 2,
        "php": True,
        "document_root": "public",
        "front_controller": "",
        "htaccess": ["Indexes", "FileInfo"],
        "php_settings": {"memory_limit": "256M"},
        "app_env": {"APP_NAME": "sitestep", "APP_URL": f"http://{fqdn}/"},
        "shared_dirs": ["public/uploads"],
        "cron_entries": [{"schedule": "@daily", "command": "php -r 'echo 1;'"}],
        "health_status": 200,
        **over,
    }


def tree(lab: Settings, fqdn: str) -> str:
    """The site's files as a fingerprint: every managed file's sha1, links, modes."""
    root = f"/var/www/{fqdn}"
    out = ssh(lab, WEB_DEV[1], (
        f"sha1sum /etc/apache2/sites-available/{fqdn}.conf /etc/php/8.2/fpm/pool.d/{fqdn}.conf "
        f"{root}/shared/.env /etc/provisioner/web-reload.sh "
        f"/etc/cron.d/provisioner-{site_user(fqdn)} 2>&1; "
        f"readlink {root}/current; ls -1 {root}/releases; "
        f"stat -c '%n %a %U:%G' {root} {root}/shared {root}/shared/.env {root}/releases/*"
    ), check=False)
    return out.stdout


def test_direct_run_leaves_what_the_roles_leave(
    lab: Settings, app: App, ansible: AnsibleAdapter, direct: SiteOverSsh, runs: Path,
    new_site: Callable[[str], str],
) -> None:  # fmt: skip
    fqdn = new_site("ss")
    wanted = params(fqdn, app, app.good)

    first = direct.apply(WEB_DEV[0], wanted, step="site_dev")
    assert first.changed and not first.reused and first.previous == ""
    assert first.release.endswith("-" + app.good[:12])
    page = get(WEB_DEV[1], fqdn)
    assert page.status_code == 200 and page.text == "site-step v1 sitestep migrated", page.text
    # The repository's uploads/ seeded shared/, and the release links to it.
    seeded = ssh(lab, WEB_DEV[1], f"cat /var/www/{fqdn}/shared/public/uploads/seed.txt; "
                 f"readlink /var/www/{fqdn}/current/public/uploads").stdout.split()  # fmt: skip
    assert seeded == ["seeded", f"/var/www/{fqdn}/shared/public/uploads"]
    before = tree(lab, fqdn)

    # The role through Ansible finds nothing to do: every rendered byte is the role's own.
    role = ansible.run("site.yml", extravars=wanted, limit=WEB_DEV[0], run_dir=runs / fqdn,
                       step="site")  # fmt: skip
    assert role.total_changed == 0, role.stdout[-3000:]
    assert tree(lab, fqdn) == before

    again = direct.apply(WEB_DEV[0], wanted, step="site_dev")
    assert (again.changed, again.reused, again.release) == (False, True, first.release)
    assert tree(lab, fqdn) == before

    # The next commit: a new release, the old one kept (keep_releases=2), uploads shared.
    second = direct.apply(WEB_DEV[0], {**wanted, "commit": app.second}, step="site_dev")
    assert second.changed and second.previous == first.release
    assert get(WEB_DEV[1], fqdn).text == "site-step v2"
    releases = ssh(lab, WEB_DEV[1], f"ls -1 /var/www/{fqdn}/releases").stdout.split()
    assert releases == sorted([first.release, second.release])


def test_direct_run_changes_nothing_on_a_site_the_role_made(
    lab: Settings, app: App, ansible: AnsibleAdapter, direct: SiteOverSsh, runs: Path,
    new_site: Callable[[str], str],
) -> None:  # fmt: skip
    fqdn = new_site("sr")
    wanted = params(fqdn, app, app.good, php_settings={}, htaccess=[], cron_entries=[])
    ansible.run("site.yml", extravars=wanted, limit=WEB_DEV[0], run_dir=runs / fqdn,
                step="site")  # fmt: skip
    before = tree(lab, fqdn)
    result = direct.apply(WEB_DEV[0], wanted, step="site_dev")
    assert (result.changed, result.reused) == (False, True), result.log
    assert tree(lab, fqdn) == before


def test_refusals_leave_the_host_as_it_was(
    lab: Settings, app: App, direct: SiteOverSsh, new_site: Callable[[str], str]
) -> None:
    fqdn = new_site("sx")
    wanted = params(fqdn, app, app.good)
    direct.apply(WEB_DEV[0], wanted, step="site_dev")
    before = tree(lab, fqdn)

    # A directive Apache does not know: configtest refuses, the previous vhost is back.
    with pytest.raises(StepFailed) as refused:
        direct.apply(WEB_DEV[0], {**wanted, "extra_directives": "NoSuchDirective on"},
                     step="site_dev")  # fmt: skip
    assert "previous configuration restored" in str(refused.value)
    assert "NoSuchDirective" in str(refused.value)
    assert tree(lab, fqdn) == before
    assert get(WEB_DEV[1], fqdn).status_code == 200

    # A failing hook: current stays, the unfinished release is gone.
    with pytest.raises(StepFailed) as hook:
        direct.apply(WEB_DEV[0], {**wanted, "commit": app.bad_hook}, step="site_dev")
    assert "hook migrate failed (rc=7)" in str(hook.value)
    assert "migration-broke-on-purpose" in str(hook.value)
    leftovers = ssh(lab, WEB_DEV[1], f"ls -A /var/www/{fqdn}/releases").stdout.split()
    assert not [n for n in leftovers if n.startswith(".tmp-")]
    assert tree(lab, fqdn) == before

    # A commit the repository does not have.
    missing = secrets.token_hex(20)
    with pytest.raises(StepFailed) as clone:
        direct.apply(WEB_DEV[0], {**wanted, "commit": missing}, step="site_dev")
    assert f"@ {missing[:12]} gagal / failed" in str(clone.value)
    assert tree(lab, fqdn) == before

    # A value that would break out of its line of .env: refused before anything is sent.
    with pytest.raises(StepFailed) as env:
        direct.apply(WEB_DEV[0], {**wanted, "app_env": {"APP_NAME": 'x"\nDB_HOST=evil'}},
                     step="site_dev")  # fmt: skip
    assert ".env values must not contain quotes" in str(env.value)
    assert tree(lab, fqdn) == before
