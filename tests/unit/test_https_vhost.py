"""The tls role's templates rendered without Ansible (adapters.https_vhost.TlsRole): the
defaults resolved for one site, the names the vhost role gives it, nothing left unrendered."""

from __future__ import annotations

import hashlib
import shlex

from provisioner.adapters.https_vhost import TlsRole
from provisioner.config import PROJECT_ROOT
from provisioner.domain.site_names import site_user

ROLE = TlsRole(PROJECT_ROOT / "playbooks" / "roles" / "tls")
FQDN, ADDRESS = "dinkes.demokab.go.id", "127.0.2.12"


def test_defaults_are_resolved_for_the_site_with_the_vhost_roles_names() -> None:
    v = ROLE.site_variables(FQDN, ADDRESS)
    assert v["tls_cert_file"] == f"/etc/letsencrypt/live/{FQDN}/fullchain.pem"
    assert v["tls_ssl_conf"] == f"/etc/apache2/sites-available/{FQDN}.ssl.conf"
    assert v["tls_macro"] == f"site_{site_user(FQDN)}"
    assert not [k for k, value in v.items() if isinstance(value, str) and "{{" in value]


def test_the_scripts_render_whole_with_the_sites_paths_quoted() -> None:
    v = ROLE.site_variables(FQDN, ADDRESS)
    ssl = ROLE.render("ssl.conf.j2", v).strip()
    listen = ROLE.render("listen.conf.j2", v).strip()
    assert f"ServerName {FQDN}" in ssl and f"Use site_{site_user(FQDN)}" in ssl
    assert f"Listen {ADDRESS}:443" in listen
    probe = {"modules": "ssl ", "macro": True}
    script = ROLE.render("https.sh.j2", {**v, "tls_probe": probe, "tls_rendered_ssl": ssl,
                                         "tls_rendered_listen": listen})  # fmt: skip
    marker = "PROVISIONER_EOF_" + hashlib.sha1((ssl + listen).encode()).hexdigest()
    assert script.count(marker) == 4  # two here-documents, each opened and closed
    assert "a2enmod -q ssl >/dev/null" in script
    assert f"conf={shlex.quote(v['tls_ssl_conf'])}" in script
    assert "{{" not in script and "{%" not in script
