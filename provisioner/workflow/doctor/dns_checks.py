"""The DNS lines of the report, per managed zone: every authoritative name server answers
with the primary's SOA serial (in sync), and the zone's TSIG key can update the zone."""

from __future__ import annotations

import time
from dataclasses import dataclass

from provisioner.domain.doctor import CheckResult, failed, passed
from provisioner.domain.errors import ProvisionerError
from provisioner.workflow.doctor.ports import NameServerReads, UpdateProbe, ZoneOpener


@dataclass(frozen=True)
class ZoneTarget:
    """A managed zone as the settings name it: its primary and the file of its key."""

    zone: str
    primary: str
    key_file: str


def _serials(reads: NameServerReads, servers: dict[str, str]) -> dict[str, int | str]:
    found: dict[str, int | str] = {}
    for name, address in servers.items():
        try:
            found[name] = reads.soa_serial(address)
        except ProvisionerError as exc:
            found[name] = exc.message
    return found


def name_server_lines(
    target: ZoneTarget, reads: NameServerReads, *, sync_wait: float
) -> list[CheckResult]:
    """One line per authoritative name server; serials that differ are asked again for up
    to `sync_wait` seconds (a change of a moment ago is still travelling by NOTIFY)."""
    try:
        servers = reads.nameservers()
    except ProvisionerError as exc:
        return [failed(
            "dns.nameservers", f"{target.zone} @ {target.primary}", exc.message,
            f"Primer {target.primary} tidak menjawab NS zona {target.zone}: periksa named dan "
            f"alamat primer (PROVISIONER_DNS_PRIMARY / berkas zona) / The primary "
            f"{target.primary} did not answer the zone's NS: check named and the primary's "
            "address (PROVISIONER_DNS_PRIMARY or the zones file)",
        )]  # fmt: skip
    deadline = time.monotonic() + sync_wait
    serials = _serials(reads, servers)
    while len(set(serials.values())) > 1 and time.monotonic() < deadline:
        time.sleep(0.5)
        serials = _serials(reads, servers)
    numbers = [s for s in serials.values() if isinstance(s, int)]
    newest = max(numbers) if numbers else None
    return [_server_line(target, name, servers[name], serial, newest)
            for name, serial in serials.items()]  # fmt: skip


def _server_line(
    target: ZoneTarget, name: str, address: str, serial: int | str, newest: int | None
) -> CheckResult:
    where = f"{target.zone} @ {name} ({address})"
    if isinstance(serial, str):
        return failed(
            "dns.nameserver", where, serial,
            f"{name} tidak menjawab secara otoritatif untuk {target.zone}: jalankan named di "
            f"sana dan izinkan kueri dari mesin ini (UDP/TCP 53) / {name} does not answer "
            f"authoritatively for {target.zone}: run named there and allow queries from "
            "this machine (UDP/TCP 53)",
        )  # fmt: skip
    if serial != newest:
        return failed(
            "dns.nameserver", where, f"serial {serial}, newest {newest}",
            f"{name} tertinggal: periksa NOTIFY dan AXFR dari primer (also-notify, "
            f"allow-transfer dengan kunci), lalu `rndc retransfer {target.zone}` / {name} is "
            "behind: check NOTIFY and AXFR from the primary (also-notify, allow-transfer "
            f"with the key), then `rndc retransfer {target.zone}`",
        )  # fmt: skip
    return passed("dns.nameserver", where, f"answers, serial {serial} (in sync)")


_PROBE_FIX = {
    "bad_signature": "Kunci TSIG di {file} tidak cocok dengan kunci server (BADSIG): salin "
    "rahasia dari berkas kunci primer / The TSIG key in {file} does not match the server's "
    "(BADSIG): copy the secret from the primary's key file",
    "bad_key": "Server tidak mengenal nama kunci di {file} (BADKEY): tambahkan kunci ke "
    "named.conf / The server does not know the key named in {file} (BADKEY): add the key "
    "to named.conf",
    "refused": "Kunci di {file} tidak boleh mengubah {zone}: tambahkan `update-policy {{ "
    "grant <kunci> zonesub ANY; }};` / The key in {file} may not update {zone}: add "
    "`update-policy {{ grant <key> zonesub ANY; }};` to the zone",
    "unreachable": "Primer {primary} tidak menjawab di TCP 53: jalankan named dan buka "
    "porta dari mesin ini / The primary {primary} does not answer on TCP 53: run named and "
    "open the port to this machine",
}
_PROBE_FIX_OTHER = (
    "Pembaruan uji ke {zone} gagal: baca log named di {primary} / The probe update of "
    "{zone} failed: read named's log on {primary}"
)


def update_line(target: ZoneTarget, probe: UpdateProbe) -> CheckResult:
    """The probe record added and removed with the zone's key, or why not."""
    outcome = probe.run()
    where = f"{target.zone} @ {target.primary}"
    if outcome.status == "ok":
        cleaned = f"; {outcome.leftovers} earlier probe(s) removed" if outcome.leftovers else ""
        return passed("dns.update", where,
                      f"{outcome.detail} in {outcome.seconds * 1000:.0f} ms{cleaned}")  # fmt: skip
    fix = _PROBE_FIX.get(outcome.status, _PROBE_FIX_OTHER)
    return failed("dns.update", where, f"{outcome.name}: {outcome.detail}",
                  fix.format(file=target.key_file, zone=target.zone, primary=target.primary))


def zone_lines(target: ZoneTarget, open_zone: ZoneOpener, *, sync_wait: float) -> list[CheckResult]:
    """Name servers first (the probe itself moves the serial), then the update probe."""
    try:
        reads, probe = open_zone(target.zone)
    except ProvisionerError as exc:
        return [failed(
            "dns.key", f"{target.zone} ({target.key_file})", exc.message,
            f"Sediakan kunci TSIG zona {target.zone} sebagai JSON {{name, algorithm, secret}} "
            f"di {target.key_file} / Provide the zone's TSIG key as JSON {{name, algorithm, "
            f"secret}} at {target.key_file}",
        )]  # fmt: skip
    return [*name_server_lines(target, reads, sync_wait=sync_wait), update_line(target, probe)]
