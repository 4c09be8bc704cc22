"""site.yml's roles rendered without Ansible (adapters.site_release): the variables as
Ansible would hold them, and the preflight that guards paths and .env lines. That the
rendered bytes are the role's own is checked on the lab (tests/integration/test_site_step)."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.adapters.inventory import host_variables
from provisioner.adapters.site_preflight import preflight
from provisioner.adapters.site_release import SiteOverSsh
from provisioner.adapters.ssh_options import SshConfig
from provisioner.config import PROJECT_ROOT
from provisioner.domain.errors import StepFailed
from provisioner.domain.site_names import site_user

FQDN = "dinkes.dev.demokab.go.id"
SITE = SiteOverSsh(
    SshConfig(key=PROJECT_ROOT / "none", known_hosts=PROJECT_ROOT / "none",
              state_dir=PROJECT_ROOT / "none"),
    roles_dir=PROJECT_ROOT / "playbooks" / "roles", inventory=PROJECT_ROOT / "none",
)


def params(**over: object) -> dict[str, object]:
    return {
        "site_fqdn": FQDN, "repo_url": "ssh://git@127.0.2.40/srv/git/app.git",
        "commit": "a" * 40, "db_host": "127.0.2.30", "db_name": "d", "db_user": "u",
        "db_password": "Pw-1", "keep_releases": 3, "htaccess": ["Indexes", "Options=Indexes"],
        "shared_dirs": ["uploads"], "app_env": {"APP_NAME": "x"}, **over,
    }  # fmt: skip


def test_defaults_resolve_as_ansible_holds_them() -> None:
    vh, dp = SITE.variables(params())
    assert vh["site_user"] == dp["site_user"] == site_user(FQDN)
    # A default whose text reads as a list is a list (Ansible's literal_eval of results).
    assert vh["vhost_override_classes"] == ["Indexes", "Options=Indexes"]
    assert vh["vhost_shared_mode"] == "751"  # shared_dirs: Apache traverses shared/
    assert vh["vhost_docroot"] == f"/var/www/{FQDN}/current/public"
    assert dp["deploy_cron_file"] == f"/etc/cron.d/provisioner-{site_user(FQDN)}"
    assert vh["vhost_php_fpm_socket"].endswith(f"-fpm-{site_user(FQDN)}.sock")
    conf = SITE.vhost.render("vhost.conf.j2", vh)
    assert "AllowOverride Indexes Options=Indexes" in conf
    assert "{{" not in SITE.vhost.render("probe.sh.j2", vh)


def test_extra_vars_win_over_defaults() -> None:
    vh, _ = SITE.variables(params(shared_dirs=[], document_root=""))
    assert vh["vhost_shared_mode"] == "750"
    assert vh["vhost_docroot"] == f"/var/www/{FQDN}/current"


@pytest.mark.parametrize(("over", "said"), [
    ({"site_fqdn": "../etc"}, "site_fqdn=../etc"),
    ({"commit": "main"}, "commit=main"),
    ({"keep_releases": 0}, "keep_releases=0"),
    ({"db_password": 'p"w'}, "must not contain quotes"),
    ({"app_env": {"K": "line\nDB_HOST=x"}}, "must not contain quotes"),
])  # fmt: skip
def test_preflight_refuses_what_would_break_a_path_or_a_line(
    over: dict[str, object], said: str
) -> None:
    wanted = params(**over)
    known = {**wanted, "site_user": "u_12345678", "site_group": "u_12345678",
             "vhost_root": f"/var/www/{FQDN}"}  # fmt: skip
    with pytest.raises(StepFailed) as refused:
        preflight(known, known, step="site_dev", host="web-dev")
    assert said in str(refused.value)


def test_inventory_variables_win_over_defaults_and_lose_to_extra_vars() -> None:
    inventory = {"vhost_fpm_max_children": 12, "vhost_php_version": "8.1", "keep_releases": 9}
    vh, dp = SITE.variables(params(), inventory)
    assert vh["vhost_fpm_max_children"] == 12
    assert vh["vhost_php_fpm_socket"] == f"/run/php/php8.1-fpm-{site_user(FQDN)}.sock"
    assert dp["keep_releases"] == 3  # the job's extra var


def test_inventory_templates_render_as_ansible_renders_them() -> None:
    inventory = {"vhost_php_version": "{{ php_major }}.{{ php_minor }}", "php_major": 8,
                 "php_minor": 1, "site_user": "w_{{ db_user }}"}  # fmt: skip
    vh, dp = SITE.variables(params(), inventory)
    assert vh["vhost_php_version"] == "8.1"
    assert vh["site_user"] == dp["site_user"] == vh["site_group"] == "w_u"
    assert vh["vhost_php_fpm_socket"] == "/run/php/php8.1-fpm-w_u.sock"


def test_host_variables_in_ansibles_order(tmp_path: Path) -> None:
    (tmp_path / "hosts.yml").write_text(
        "all:\n  vars: {a: file-all, b: file-all}\n  children:\n    webservers:\n"
        "      vars: {c: file-group}\n      hosts:\n"
        "        web1: {ansible_host: 127.0.2.11, d: file-host}\n"
    )
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text("b: dir-all\nd: dir-all\n")
    (tmp_path / "group_vars" / "webservers.yaml").write_text("c: dir-group\n")
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "host_vars" / "web1.yml").write_text("e: dir-host\n")
    found = host_variables(tmp_path / "hosts.yml", "web1")
    assert {k: found[k] for k in "abcde"} == {
        "a": "file-all", "b": "dir-all", "c": "dir-group", "d": "file-host", "e": "dir-host",
    }  # fmt: skip
    assert host_variables(tmp_path / "hosts.yml", "nope") == {}
