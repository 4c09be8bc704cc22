"""The certificate scripts cert_prod sends to the web host, run here with `sh` against a
temporary tree and a stand-in `certbot` (openssl makes the certificate): a certificate not
due is kept without asking the CA, a missing one is asked for once, a CA that refuses is
reported with its words, a forgotten account is dropped and asked again, and the files are
never removed while an HTTPS vhost uses them."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from provisioner.adapters.acme_issue import CertbotIssuer, HostPaths
from provisioner.adapters.ssh_options import SshConfig
from provisioner.adapters.tls import TlsConfig

FQDN = "dinkes.demokab.go.id"
ACME = "https://127.0.2.53:14000/dir"

FAKE_CERTBOT = """#!/bin/sh
# Stand-in for certbot: records its call; FAKE_MODE=ok|refuse|forgot-once.
echo "$*" >> "$FAKE_LOG"
live=""; name=""; config=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cert-name) name="$2"; shift ;;
    --config-dir) config="$2"; shift ;;
  esac
  shift
done
if [ "$FAKE_MODE" = refuse ]; then
  echo "An unexpected error occurred:"; echo "urn:ietf:params:acme:error:connection refused"
  exit 1
fi
if [ "$FAKE_MODE" = forgot-once ] && [ ! -e "$FAKE_LOG.retried" ]; then
  touch "$FAKE_LOG.retried"; echo "accountDoesNotExist"; exit 1
fi
live="$config/live/$name"; mkdir -p "$live"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 -subj "/CN=$name" \\
  -keyout "$live/privkey.pem" -out "$live/fullchain.pem" 2>/dev/null
"""


@pytest.fixture
def host(tmp_path: Path) -> tuple[CertbotIssuer, Path, dict[str, str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    certbot = bin_dir / "certbot"
    certbot.write_text(FAKE_CERTBOT)
    certbot.chmod(0o755)
    ca = tmp_path / "controller-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    paths = HostPaths(webroot=str(tmp_path / "www/.acme"), config_dir=str(tmp_path / "le"),
                      host_ca_file=str(tmp_path / "etc/acme-ca.pem"),
                      certbot_lock=str(tmp_path / "certbot.lock"),
                      sites_enabled=str(tmp_path / "sites-enabled"), timeout_s=20)
    tls = TlsConfig(acme_directory_url=ACME, acme_ca_file=ca, acme_roots_url=None,
                    acme_email="", renew_days=30)
    issuer = CertbotIssuer(SshConfig(tmp_path / "k", tmp_path / "kh", tmp_path), tls, paths)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "FAKE_LOG": str(tmp_path / "calls"), "FAKE_MODE": "ok"}
    return issuer, tmp_path, env


def run(script: str, env: dict[str, str]) -> str:
    out = subprocess.run(["sh", "-s"], input=script, env=env, capture_output=True, text=True,
                         timeout=30, check=True)
    return out.stdout


def calls(tmp: Path) -> list[str]:
    log = tmp / "calls"
    return log.read_text().splitlines() if log.exists() else []


def test_a_missing_certificate_is_asked_for_once_then_kept(host) -> None:  # type: ignore[no-untyped-def]
    issuer, tmp, env = host
    assert issuer.parse(run(issuer.probe_script(FQDN), env), time.monotonic()).status == "missing"
    first = issuer.parse(run(issuer.issue_script(FQDN, ACME), env), time.monotonic())
    assert first.status == "issued" and first.days_left in (89, 90), first
    assert first.not_after
    assert (tmp / "www/.acme/.well-known/acme-challenge").is_dir()
    assert "MIIB" in (tmp / "etc/acme-ca.pem").read_text()  # the CA certbot trusts
    [call] = calls(tmp)
    assert f"--server {ACME}" in call and f"-d {FQDN} --cert-name {FQDN}" in call
    again = issuer.parse(run(issuer.issue_script(FQDN, ACME), env), time.monotonic())
    assert again.status == "valid" and len(calls(tmp)) == 1  # the CA is not asked again
    assert issuer.parse(run(issuer.probe_script(FQDN), env), time.monotonic()).status == "valid"


def test_a_ca_that_refuses_is_reported_with_its_words_not_raised(host) -> None:  # type: ignore[no-untyped-def]
    issuer, _, env = host
    cert = issuer.parse(run(issuer.issue_script(FQDN, ACME), {**env, "FAKE_MODE": "refuse"}),
                        time.monotonic())
    assert cert.status == "unavailable" and "connection refused" in cert.reason
    assert cert.reason.startswith("rc=1")


def test_a_forgotten_account_is_dropped_and_asked_once_more(host) -> None:  # type: ignore[no-untyped-def]
    issuer, tmp, env = host
    accounts = tmp / "le/accounts/127.0.2.53:14000"
    accounts.mkdir(parents=True)
    cert = issuer.parse(run(issuer.issue_script(FQDN, ACME), {**env, "FAKE_MODE": "forgot-once"}),
                        time.monotonic())
    assert cert.status == "issued" and len(calls(tmp)) == 2 and not accounts.exists()


def test_the_files_stay_while_an_https_vhost_uses_them(host) -> None:  # type: ignore[no-untyped-def]
    issuer, tmp, env = host
    run(issuer.issue_script(FQDN, ACME), env)
    link = tmp / "sites-enabled" / f"{FQDN}.ssl.conf"
    link.parent.mkdir()
    link.write_text("<VirtualHost *:443>")
    assert run(issuer.remove_script(FQDN), env).strip() == "in-use"
    assert (tmp / "le/live" / FQDN / "fullchain.pem").exists()
    link.unlink()
    assert run(issuer.remove_script(FQDN), env).strip() == "removed"
    assert not (tmp / "le/live" / FQDN).exists()
    assert run(issuer.remove_script(FQDN), env).strip() == "absent"
