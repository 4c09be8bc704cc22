"""The web host lines: Apache (version, `apache2ctl -t`, the modules the vhost and TLS
roles enable — they must be installed, the roles run a2enmod) and PHP-FPM (versions, a
running master, the PHP extensions the checks and apps need), read in one SSH round trip."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from provisioner.domain.doctor import CheckResult, InventoryHost, failed, missing, passed
from provisioner.workflow.doctor.host_checks import facts_of
from provisioner.workflow.doctor.ports import Shell

_WEB_PROBE = """\
echo "apache=$(apache2ctl -v 2>/dev/null | sed -n 's/^Server version: //p')"
echo "configtest=$(apache2ctl -t >/dev/null 2>&1 && echo ok || apache2ctl -t 2>&1 | tail -n 1)"
for m in {modules}; do
  if [ -e "/etc/apache2/mods-available/$m.load" ]; then echo "module=$m"; fi
done
for f in /usr/sbin/php-fpm*; do
  [ -x "$f" ] && echo "fpm=$("$f" -v 2>/dev/null | head -n 1 | cut -d' ' -f1-2)"
done
echo "fpm_master=$(pgrep -c -f 'php-fpm: master process' 2>/dev/null || echo 0)"
for e in $(php -m 2>/dev/null | tr 'A-Z' 'a-z'); do echo "php_ext=$e"; done
for t in {tools}; do command -v "$t" >/dev/null 2>&1 && echo "tool=$t"; done
"""


def _first(facts: dict[str, list[str]], key: str) -> str:
    return (facts.get(key) or [""])[0]


def web_lines(
    host: InventoryHost,
    shell: Shell,
    *,
    modules: Sequence[str],
    extensions: Sequence[str],
    tools: Sequence[str],
) -> list[CheckResult]:
    """One Apache line and one PHP-FPM line for `host`."""
    script = _WEB_PROBE.format(modules=" ".join(shlex.quote(m) for m in modules),
                               tools=" ".join(shlex.quote(t) for t in tools))  # fmt: skip
    out = shell.run(host, "sh -s", stdin=script, timeout=30)
    if out.failure is not None:
        reason = f"SSH: {out.failure}: {out.reason()}"
        fix = "Perbaiki SSH ke host ini dulu (baris ssh) / Fix SSH to this host first (ssh line)"
        return [failed("apache", host.label(), reason, fix),
                failed("php-fpm", host.label(), reason, fix)]  # fmt: skip
    facts = facts_of(out)
    return [_apache_line(host, facts, modules, tools), _fpm_line(host, facts, extensions)]


def _apache_line(
    host: InventoryHost, facts: dict[str, list[str]], modules: Sequence[str], tools: Sequence[str]
) -> CheckResult:
    version, configtest = _first(facts, "apache"), _first(facts, "configtest")
    absent = missing(tuple(modules), set(facts.get("module", [])))
    absent_tools = missing(tuple(tools), set(facts.get("tool", [])))
    fact = f"{version or 'no Apache'}; configtest {configtest or '?'}; modules " + (
        f"missing: {', '.join(absent)}" if absent else f"{', '.join(modules)} installed"
    ) + (f"; tools missing: {', '.join(absent_tools)}" if absent_tools else "")
    if not version:
        fix = "Pasang apache2 / Install apache2"
    elif absent:
        names = ", ".join(absent)
        fix = (f"Modul Apache {names} tidak terpasang di {host.name}: pasang paket Debian "
               f"yang menyediakannya (mis. libapache2-mod-…) atau hapus dari "
               f"PROVISIONER_DOCTOR_APACHE_MODULES / The Apache module(s) {names} are not "
               f"installed on {host.name}: install the Debian package that provides them "
               "(e.g. libapache2-mod-…) or drop them from PROVISIONER_DOCTOR_APACHE_MODULES")
    elif configtest != "ok":
        fix = (f"`apache2ctl -t` gagal di {host.name}: perbaiki konfigurasinya sebelum "
               f"provisioner mengubahnya / `apache2ctl -t` fails on {host.name}: fix its "
               "configuration before provisioner changes it")
    elif absent_tools:
        names = ", ".join(absent_tools)
        fix = f"Pasang {names} di {host.name} / Install {names} on {host.name}"
    else:
        return passed("apache", host.label(), fact)
    return failed("apache", host.label(), fact, fix)


def _fpm_line(
    host: InventoryHost, facts: dict[str, list[str]], extensions: Sequence[str]
) -> CheckResult:
    versions = facts.get("fpm", [])
    masters = _first(facts, "fpm_master") or "0"
    absent = missing(tuple(extensions), set(facts.get("php_ext", [])))
    fact = f"{', '.join(versions) or 'no php-fpm'}; running masters: {masters}; extensions " + (
        f"missing: {', '.join(absent)}" if absent else f"{', '.join(extensions)} loaded"
    )
    if not versions:
        fix = "Pasang php-fpm / Install php-fpm"
    elif masters == "0":
        fix = (f"PHP-FPM tidak berjalan di {host.name}: `systemctl start php*-fpm` / "
               f"PHP-FPM is not running on {host.name}: `systemctl start php*-fpm`")
    elif absent:
        names = ", ".join(absent)
        fix = (f"Ekstensi PHP {names} tidak ada: pasang php-mysql (dan php-cli) / The PHP "
               f"extension(s) {names} are missing: install php-mysql (and php-cli)")
    else:
        return passed("php-fpm", host.label(), fact)
    return failed("php-fpm", host.label(), fact, fix)
