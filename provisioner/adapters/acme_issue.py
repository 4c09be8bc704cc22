"""A certificate for one name over ACME HTTP-01, asked for on the web host with certbot in
one SSH exec (the script on stdin), before the site's own vhost exists.

That needs the web host to answer HTTP-01 for every name from its ACME webroot — its
catch-all vhost serves `/.well-known/acme-challenge/` from there, as each site's vhost
does (the lab's does: provisioner/lab/templates/apache-default-site.conf.j2). Nothing that
is served changes: certbot writes under /etc/letsencrypt only; the HTTPS vhost comes later
(tls.yml, after the site). Same host paths, lock and CA handling as the tls role, so either
may find and keep what the other made. A CA that cannot be reached or refuses is reported
(status `unavailable`), not raised.

Names new to the host are asked for side by side, each by a certbot with a directory of its
own (certbot locks its --config-dir), and moved into /etc/letsencrypt in certbot's own
layout, so `certbot renew` and the tls role renew them there like any other lineage.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass

from provisioner.adapters.ssh import Cancelled, SshClient
from provisioner.adapters.ssh_options import SshConfig
from provisioner.adapters.tls import TlsConfig
from provisioner.domain.errors import ServerUnreachable, StepFailed


@dataclass(frozen=True)
class HostPaths:
    """Where the web host keeps what certbot needs (the tls role's defaults)."""

    webroot: str = "/var/www/.acme"
    config_dir: str = "/etc/letsencrypt"
    host_ca_file: str = "/etc/provisioner/acme-ca.pem"
    certbot_lock: str = "/run/lock/provisioner-certbot.lock"
    sites_enabled: str = "/etc/apache2/sites-enabled"
    timeout_s: int = 120


@dataclass(frozen=True)
class Certificate:
    """What the host holds for the name after asking: `issued` (new now), `valid` (one not
    due for renewal was already there), `unavailable` (the CA could not be reached or
    refused: `reason`), or `missing` (a probe found none)."""

    status: str
    reason: str
    not_after: str
    days_left: int
    seconds: float


_PROBE = """\
live={live}
end=$(openssl x509 -enddate -noout -in "$live/fullchain.pem" 2>/dev/null | cut -d= -f2)
left=-1
[ -n "$end" ] && left=$(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))
report() {{
  printf '{{"status": "%s", "reason": "%s", "not_after": "%s", "days_left": %s}}\\n' \\
    "$1" "$2" "$end" "$left"
}}
if [ "$left" -ge {renew} ]; then report valid ""; exit 0; fi
"""

# One issuance at a time per *name* (a retry after a killed worker waits for the certbot it
# left running, and then finds what that one got). certbot locks its --config-dir, so a
# name the host does not hold yet is asked for in a directory of its own (accounts copied
# in) and moved into the host's tree under the host-wide lock, which is held only for the
# account and that move: names on one host are issued side by side. A name the host already
# holds is renewed in place under the host-wide lock, the tls role's way.
_LOCK = """\
exec 8>>{name_lock}
if ! flock -w {timeout} 8; then report unavailable "certbot lock busy"; exit 0; fi
"""

_ISSUE = """\
ca_text={ca_text}
if [ -n "$ca_text" ]; then
  install -d -m 0755 "$(dirname {host_ca})"
  printf '%s\\n' "$ca_text" > {host_ca}.$$ && mv {host_ca}.$$ {host_ca}
fi
install -d -m 0755 {challenge_dir}
main={config_dir}
stage={stage}
why=""
# certbot's lines that say why, without its boilerplate; JSON-safe.
said() {{
  grep -v -e '^Saving debug log' -e '^Ask for help' -e '^See the logfile' -e '^- - -' -e '^$' \\
    | tail -n 4 | tr '\\n"\\\\' '   ' | cut -c1-500
}}
host_lock() {{
  exec 9>>{lock}
  flock -w {timeout} 9 || {{ why="certbot lock busy"; return 1; }}
}}
accounts_of() {{ (cd "$1/accounts" 2>/dev/null && find . -name regr.json | sort); }}
# The host's one account for this CA, copied into the stage; $1: an account the CA forgot.
stage_account() {{
  host_lock || return 1
  if [ -n "$1" ] && [ "$(accounts_of "$main")" = "$1" ]; then rm -rf {accounts}; fi
  if [ -z "$(accounts_of "$main")" ]; then
    out=$(timeout {timeout} env {ca_env} certbot register --non-interactive --agree-tos \\
      {email} --server {server} --config-dir "$main" --work-dir "$main/.work" \\
      --logs-dir /var/log/letsencrypt 2>&1) \\
      || {{ why="register: $out"; exec 9>&-; return 1; }}
  fi
  rm -rf "$stage/accounts" && mkdir -p "$stage/accounts" \\
    && cp -a "$main/accounts/." "$stage/accounts/"
  used=$(accounts_of "$main")
  exec 9>&-
}}
if [ -e "$main/renewal/"{fqdn}.conf ]; then
  conf=$main; logs=/var/log/letsencrypt
  host_lock || {{ report unavailable "$why"; exit 0; }}
else
  conf=$stage; logs=$stage/.logs
  rm -rf "$stage"; mkdir -p "$stage"; trap 'rm -rf "$stage"' EXIT
  stage_account "" || {{ report unavailable "$(printf '%s\\n' "$why" | said)"; exit 0; }}
fi
request() {{
  timeout {timeout} env {ca_env} \\
  certbot certonly --non-interactive --agree-tos {email} --server {server} \\
  --webroot -w {webroot} -d {fqdn} --cert-name {fqdn} \\
  --config-dir "$conf" --work-dir "$conf/.work" --logs-dir "$logs" \\
  --force-renewal 2>&1
}}
out=$(request)
rc=$?
# A CA that forgot our account (pebble keeps accounts in memory) answers
# accountDoesNotExist: drop the stale account and ask once more (as the tls role does).
if [ $rc -ne 0 ] \\
    && {{ printf '%s\\n' "$out"; cat "$logs/letsencrypt.log" 2>/dev/null; }} \\
    | grep -q accountDoesNotExist; then
  if [ "$conf" = "$main" ]; then rm -rf {accounts}; again=yes
  elif stage_account "$used"; then again=yes; else again=no; fi
  if [ $again = yes ]; then out=$(request); rc=$?; else out=$why; fi
fi
if [ $rc -ne 0 ]; then
  report unavailable "rc=$rc: $(printf '%s\\n' "$out" | said)"
  exit 0
fi
if [ "$conf" = "$stage" ]; then
  host_lock || {{ report unavailable "$why"; exit 0; }}
  # The tls role may have got one meanwhile: that one is kept (the probe, once more).
{probe}
  # certbot's layout: live/ links are relative (../../archive/<name>/), the renewal file
  # names absolute paths; the renewal file first, live/ last (what a probe looks at).
  mkdir -p "$main/live" "$main/archive" "$main/renewal"
  sed -e 's|^logs_dir = .*|logs_dir = /var/log/letsencrypt|' -e {stage_to_main} \\
    "$stage/renewal/"{fqdn}.conf > "$main/renewal/"{fqdn}.conf.$$ \\
    && mv "$main/renewal/"{fqdn}.conf.$$ "$main/renewal/"{fqdn}.conf \\
    && rm -rf "$main/archive/"{fqdn} "$live" \\
    && mv "$stage/archive/"{fqdn} "$main/archive/"{fqdn} \\
    && mv "$stage/live/"{fqdn} "$live" \\
    || {{ report unavailable "could not move the certificate into $main"; exit 0; }}
fi
end=$(openssl x509 -enddate -noout -in "$live/fullchain.pem" 2>/dev/null | cut -d= -f2)
left=$(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))
report issued ""
"""

_REMOVE = """\
live={live}
if [ -e {ssl_link} ]; then echo in-use; exit 0; fi
[ -e "$live" ] && what=removed || what=absent
# with what a killed issuance may have left in its stage
rm -rf "$live" {archive} {renewal} {stage}
echo "$what"
"""


def _bre(text: str) -> str:
    """`text` as a sed basic regular expression that matches it literally."""
    return re.sub(r"([\\.\[\]*^$/])", r"\\\1", text)


def _sed_text(text: str) -> str:
    """`text` as a sed replacement that inserts it literally."""
    return re.sub(r"([\\&/])", r"\\\1", text)


class CertbotIssuer:
    """certbot on a web host over one SSH connection: issue, probe, remove."""

    def __init__(self, ssh: SshConfig, tls: TlsConfig, paths: HostPaths | None = None) -> None:
        self.ssh = ssh
        self.tls = tls
        self.paths = paths or HostPaths()

    def _exec(
        self, address: str, script: str, *, step: str, cancel: Callable[[], bool] | None = None
    ) -> str:
        try:
            with SshClient.to(self.ssh, address) as client:
                result = client.run(
                    "sh -s", stdin=script, cancel=cancel, timeout=self.paths.timeout_s + 30
                )
        except ServerUnreachable as exc:
            raise ServerUnreachable(step, address, exc.reason) from None
        except Cancelled:
            raise StepFailed(step, address, "dibatalkan / cancelled") from None
        if result.rc != 0:
            raise StepFailed(step, address, (result.stderr or result.stdout).strip()[-500:])
        return result.stdout.strip()

    def _stage(self, fqdn: str) -> str:
        """Where a name new to the host is asked for (inside config_dir: moved by rename)."""
        return f"{self.paths.config_dir}/.staging/{fqdn}"

    def _probe_script(self, fqdn: str) -> str:
        live = f"{self.paths.config_dir}/live/{fqdn}"
        return _PROBE.format(live=shlex.quote(live), renew=int(self.tls.renew_days))

    @staticmethod
    def parse(stdout: str, started: float) -> Certificate:
        """The script's last line as a Certificate."""
        data = json.loads(stdout.splitlines()[-1])
        return Certificate(
            status=str(data["status"]),
            reason=str(data["reason"]).strip(),
            not_after=str(data["not_after"]),
            days_left=int(data["days_left"]),
            seconds=round(time.monotonic() - started, 2),
        )

    def probe_script(self, fqdn: str) -> str:
        """Prints one JSON line: `valid` when a certificate not due for renewal is there,
        else `missing`."""
        return self._probe_script(fqdn) + 'report missing ""\n'

    def issue_script(self, fqdn: str, directory_url: str) -> str:
        """Prints one JSON line: `valid`, `issued` or `unavailable` (with the reason)."""
        p, ca = self.paths, self.tls.acme_ca_file
        ca_text = ca.read_text().strip() if ca.exists() else ""
        email = (
            f"-m {shlex.quote(self.tls.acme_email)}"
            if self.tls.acme_email
            else ("--register-unsafely-without-email")
        )
        host = directory_url.split("://", 1)[-1].split("/", 1)[0]
        probe = self._probe_script(fqdn)
        stage = self._stage(fqdn)
        lock = _LOCK.format(
            name_lock=shlex.quote(f"{p.certbot_lock}-{fqdn}"), timeout=int(p.timeout_s)
        )
        return (
            probe
            + lock
            + probe
            + _ISSUE.format(
                ca_text=shlex.quote(ca_text),
                host_ca=shlex.quote(p.host_ca_file),
                ca_env=shlex.quote(f"REQUESTS_CA_BUNDLE={p.host_ca_file}") if ca_text else "",
                challenge_dir=shlex.quote(f"{p.webroot}/.well-known/acme-challenge"),
                timeout=int(p.timeout_s),
                lock=shlex.quote(p.certbot_lock),
                email=email,
                server=shlex.quote(directory_url),
                webroot=shlex.quote(p.webroot),
                fqdn=shlex.quote(fqdn),
                config_dir=shlex.quote(p.config_dir),
                stage=shlex.quote(stage),
                accounts=shlex.quote(f"{p.config_dir}/accounts/{host}"),
                probe=probe,
                stage_to_main=shlex.quote(f"s/{_bre(stage)}/{_sed_text(p.config_dir)}/g"),
            )
        )

    def remove_script(self, fqdn: str) -> str:
        """Prints `removed`, `absent`, or `in-use` (kept: an HTTPS vhost of the name is
        enabled; the tls role's own undo removes both)."""
        p = self.paths
        return _REMOVE.format(
            live=shlex.quote(f"{p.config_dir}/live/{fqdn}"),
            ssl_link=shlex.quote(f"{p.sites_enabled}/{fqdn}.ssl.conf"),
            archive=shlex.quote(f"{p.config_dir}/archive/{fqdn}"),
            renewal=shlex.quote(f"{p.config_dir}/renewal/{fqdn}.conf"),
            stage=shlex.quote(self._stage(fqdn)),
        )

    def _run(
        self, address: str, script: str, *, step: str, cancel: Callable[[], bool] | None = None
    ) -> Certificate:
        started = time.monotonic()
        out = self._exec(address, script, step=step, cancel=cancel)
        try:
            return self.parse(out, started)
        except (ValueError, KeyError, IndexError):
            raise StepFailed(step, address, f"certbot: unexpected output: {out[-300:]}") from None

    def probe(self, address: str, fqdn: str, *, step: str) -> Certificate:
        return self._run(address, self.probe_script(fqdn), step=step)

    def issue(
        self,
        address: str,
        fqdn: str,
        *,
        directory_url: str,
        step: str,
        cancel: Callable[[], bool] | None = None,
    ) -> Certificate:
        """A certificate for `fqdn` from `directory_url`, unless a valid one is there."""
        return self._run(address, self.issue_script(fqdn, directory_url), step=step, cancel=cancel)

    def remove(self, address: str, fqdn: str, *, step: str) -> str:
        return self._exec(address, self.remove_script(fqdn), step=step)
