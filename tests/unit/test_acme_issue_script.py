"""The certificate scripts cert_prod sends to the web host, run here with `sh` against a
temporary tree and a stand-in `certbot` (openssl makes the certificate): a certificate not
due is kept without asking the CA, a missing one is asked for once, a CA that refuses is
reported with its words, a forgotten account is dropped and asked again, and the files are
never removed while an HTTPS vhost uses them."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from provisioner.adapters.acme_issue import CertbotIssuer, HostPaths
from provisioner.adapters.ssh_options import SshConfig
from provisioner.adapters.tls import TlsConfig

FQDN = "dinkes.demokab.go.id"
ACME = "https://127.0.2.53:14000/dir"

FAKE_CERTBOT = """#!/bin/sh
# Stand-in for certbot: records its call, refuses a second instance on one --config-dir (as
# certbot does), writes certbot's layout. FAKE_MODE=ok|refuse|forgot-once|meet (wait until
# every name in FAKE_NAMES is being asked for at the same moment).
echo "$*" >> "$FAKE_LOG"
cmd=$1; shift
name=""; config=""; logs=""; server=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cert-name) name="$2"; shift ;;
    --config-dir) config="$2"; shift ;;
    --logs-dir) logs="$2"; shift ;;
    --server) server="$2"; shift ;;
  esac
  shift
done
mkdir -p "$config"
exec 7>>"$config/.lock"
flock -n 7 || { echo "Another instance of Certbot is already running."; exit 1; }
ca=${server#https://}; ca=${ca%%/*}
account() {
  mkdir -p "$config/accounts/$ca/dir/$1" && echo '{}' > "$config/accounts/$ca/dir/$1/regr.json"
}
if [ "$cmd" = register ]; then account "id-$$"; exit 0; fi
if [ "$FAKE_MODE" = refuse ]; then
  echo "An unexpected error occurred:"; echo "urn:ietf:params:acme:error:connection refused"
  exit 1
fi
if [ "$FAKE_MODE" = forgot-once ] && [ ! -e "$FAKE_LOG.retried" ]; then
  touch "$FAKE_LOG.retried"; echo "accountDoesNotExist"; exit 1
fi
[ -n "$(find "$config/accounts" -name regr.json 2>/dev/null)" ] \\
  || { echo "certonly registered" >> "$FAKE_LOG"; account "id-$$"; }
if [ "$FAKE_MODE" = meet ]; then
  touch "$FAKE_LOG.$name"
  for i in $(seq 100); do
    all=yes; for n in $FAKE_NAMES; do [ -e "$FAKE_LOG.$n" ] || all=no; done
    [ $all = yes ] && break; sleep 0.1
  done
  [ $all = yes ] || { echo "asked for alone"; exit 1; }
fi
n=1; while [ -e "$config/archive/$name/cert$n.pem" ]; do n=$((n+1)); done
mkdir -p "$config/archive/$name" "$config/live/$name" "$config/renewal"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 -subj "/CN=$name" \\
  -keyout "$config/archive/$name/privkey$n.pem" -out "$config/archive/$name/cert$n.pem" 2>/dev/null
cp "$config/archive/$name/cert$n.pem" "$config/archive/$name/fullchain$n.pem"
for f in cert privkey fullchain; do
  ln -sfn "../../archive/$name/$f$n.pem" "$config/live/$name/$f.pem"
done
printf '%s\\n' "archive_dir = $config/archive/$name" "cert = $config/live/$name/cert.pem" \\
  "[renewalparams]" "config_dir = $config" "work_dir = $config/.work" "logs_dir = $logs" \\
  > "$config/renewal/$name.conf"
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
    register, call = calls(tmp)  # the host's account first, then the name in its own dir
    assert register.startswith("register") and f"--config-dir {tmp}/le " in register
    assert f"--server {ACME}" in call and f"-d {FQDN} --cert-name {FQDN}" in call
    assert f"--config-dir {tmp}/le/.staging/{FQDN} " in call
    again = issuer.parse(run(issuer.issue_script(FQDN, ACME), env), time.monotonic())
    assert again.status == "valid" and len(calls(tmp)) == 2  # the CA is not asked again
    assert issuer.parse(run(issuer.probe_script(FQDN), env), time.monotonic()).status == "valid"


def test_the_certificate_lands_in_certbots_own_layout(host) -> None:  # type: ignore[no-untyped-def]
    """What certbot renew and the tls role read: live/ links into archive/, a renewal file
    that names the host's tree (not the stage, which is gone)."""
    issuer, tmp, env = host
    run(issuer.issue_script(FQDN, ACME), env)
    le = tmp / "le"
    live = le / "live" / FQDN / "fullchain.pem"
    assert os.readlink(live) == f"../../archive/{FQDN}/fullchain1.pem"
    assert live.resolve() == (le / "archive" / FQDN / "fullchain1.pem").resolve()
    renewal = (le / "renewal" / f"{FQDN}.conf").read_text()
    assert f"archive_dir = {le}/archive/{FQDN}\n" in renewal
    assert f"config_dir = {le}\n" in renewal and f"work_dir = {le}/.work\n" in renewal
    assert "logs_dir = /var/log/letsencrypt\n" in renewal and ".staging" not in renewal
    assert not (le / ".staging" / FQDN).exists()


def test_names_on_one_host_are_asked_for_side_by_side(host) -> None:  # type: ignore[no-untyped-def]
    """Each certbot has a directory of its own; with the host-wide directory both would wait
    on certbot's lock (the stand-in refuses a second instance, and each waits for the other)."""
    issuer, tmp, env = host
    names = [f"opd{i}.demokab.go.id" for i in range(3)]
    env = {**env, "FAKE_MODE": "meet", "FAKE_NAMES": " ".join(names)}
    running = [subprocess.Popen(["sh", "-c", issuer.issue_script(name, ACME)],
                                stdout=subprocess.PIPE, env=env, text=True) for name in names]
    outs = [proc.communicate(timeout=30)[0] for proc in running]
    assert [issuer.parse(out, time.monotonic()).status for out in outs] == ["issued"] * 3, outs
    assert sum(call.startswith("register") for call in calls(tmp)) == 1  # one account
    assert not any("registered" in call for call in calls(tmp))
    for name in names:
        assert (tmp / "le/live" / name / "fullchain.pem").resolve().is_file()


def test_a_name_the_host_holds_is_renewed_in_place(host) -> None:  # type: ignore[no-untyped-def]
    issuer, tmp, env = host
    run(issuer.issue_script(FQDN, ACME), env)
    due = CertbotIssuer(issuer.ssh, replace(issuer.tls, renew_days=95), issuer.paths)
    cert = due.parse(run(due.issue_script(FQDN, ACME), env), time.monotonic())
    assert cert.status == "issued"
    assert f"--config-dir {tmp}/le " in calls(tmp)[-1]
    assert os.readlink(tmp / "le/live" / FQDN / "cert.pem") == f"../../archive/{FQDN}/cert2.pem"


def test_a_ca_that_refuses_is_reported_with_its_words_not_raised(host) -> None:  # type: ignore[no-untyped-def]
    issuer, _, env = host
    cert = issuer.parse(run(issuer.issue_script(FQDN, ACME), {**env, "FAKE_MODE": "refuse"}),
                        time.monotonic())
    assert cert.status == "unavailable" and "connection refused" in cert.reason
    assert cert.reason.startswith("rc=1")


def test_a_forgotten_account_is_dropped_and_asked_once_more(host) -> None:  # type: ignore[no-untyped-def]
    issuer, tmp, env = host
    stale = tmp / "le/accounts/127.0.2.53:14000/dir/stale"
    stale.mkdir(parents=True)
    (stale / "regr.json").write_text("{}")
    cert = issuer.parse(run(issuer.issue_script(FQDN, ACME), {**env, "FAKE_MODE": "forgot-once"}),
                        time.monotonic())
    assert cert.status == "issued", cert
    assert [call.split()[0] for call in calls(tmp)] == ["certonly", "register", "certonly"]
    assert not stale.exists()
    assert list((tmp / "le/accounts/127.0.2.53:14000/dir").iterdir())  # the new one is kept


def test_the_files_stay_while_an_https_vhost_uses_them(host) -> None:  # type: ignore[no-untyped-def]
    issuer, tmp, env = host
    run(issuer.issue_script(FQDN, ACME), env)
    link = tmp / "sites-enabled" / f"{FQDN}.ssl.conf"
    link.parent.mkdir()
    link.write_text("<VirtualHost *:443>")
    assert run(issuer.remove_script(FQDN), env).strip() == "in-use"
    assert (tmp / "le/live" / FQDN / "fullchain.pem").exists()
    link.unlink()
    left_by_a_kill = tmp / "le/.staging" / FQDN / "archive"
    left_by_a_kill.mkdir(parents=True)
    assert run(issuer.remove_script(FQDN), env).strip() == "removed"
    assert not left_by_a_kill.parent.exists()
    assert not (tmp / "le/live" / FQDN).exists()
    assert run(issuer.remove_script(FQDN), env).strip() == "absent"
