"""RFC 2136 updates of one zone: over TCP to its primary, signed with TSIG, guarded by
prerequisites, so a record someone else changed in the meantime is never overwritten.

Several changes go in ONE update message: the server checks every prerequisite before it
changes anything, so the zone gets all of them or none.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.tsig
import dns.update

from provisioner.adapters.dns.tsig import TsigKey
from provisioner.adapters.dns.wire import SOURCE, rcode_reason, rdata_of, translate
from provisioner.domain.dns_plan import RecordChange
from provisioner.domain.errors import Conflict, InvalidInput, StepFailed

log = logging.getLogger(__name__)

# Update RCODEs that mean "a prerequisite did not hold" (RFC 2136 §3.2.5): the zone is not
# in the state the changes were made for.
PREREQUISITE_FAILED = frozenset(
    {dns.rcode.NXDOMAIN, dns.rcode.YXDOMAIN, dns.rcode.YXRRSET, dns.rcode.NXRRSET}
)
_TSIG_PEER_ERRORS: dict[type[Exception], str] = {
    dns.tsig.PeerBadSignature: "BADSIG",
    dns.tsig.PeerBadKey: "BADKEY",
    dns.tsig.PeerBadTime: "BADTIME",
    dns.tsig.PeerBadTruncation: "BADTRUNC",
}
_BAD_RESPONSE_SIGNATURE = (
    dns.tsig.BadSignature, dns.tsig.BadKey, dns.tsig.BadAlgorithm, dns.tsig.BadTime,
    dns.message.UnknownTSIGKey,
)  # fmt: skip
_Part = tuple[RecordChange, dns.name.Name, dns.rdata.Rdata]


class ZoneUpdater:
    """Sends one zone's updates to its primary; `key=None` sends them unsigned (only to
    prove that a server refuses them)."""

    def __init__(
        self, origin: dns.name.Name, primary: str, key: TsigKey | None, *,
        timeout: float, port: int,
    ) -> None:  # fmt: skip
        self.origin = origin
        self.zone = origin.to_text(omit_final_dot=True)
        self.primary = primary
        self.timeout = timeout
        self.port = port
        self._key = key

    def apply_all(self, changes: Iterable[RecordChange], *, exclusive: Iterable[str] = ()) -> None:
        """Apply every change or none. create: only if the name holds no record of that
        type and no CNAME (for a CNAME, or at a name in `exclusive`: the name must not
        exist at all). update/delete: only if the record set is still exactly `previous`
        (resp. `value`). If the prerequisites fail because the changes are already in
        place (a retry), nothing is sent again; if anything else stands in the way,
        Conflict names it."""
        changes = list(changes)
        whole_name = set(exclusive)
        update = self._new_update()
        parts = [self._add(update, change, whole_name) for change in changes]
        if not parts:
            return
        rcode = self._send(update)
        if rcode == dns.rcode.NOERROR:
            for change in changes:
                log.info("dns %s: applied", change.summary())
            return
        if rcode not in PREREQUISITE_FAILED:
            raise StepFailed(SOURCE, self.primary, rcode_reason(rcode))
        pending = [part for part in parts if not self._already_applied(*part)]
        if not pending:
            log.info("dns: %d change(s) already in place, nothing sent", len(parts))
            return
        if len(pending) < len(parts):
            # Part in place, part not: the zone moved under us; never guess, report.
            log.warning("dns: only part of the changes is in place; refusing to continue")
        change = pending[0][0]
        log.warning("dns %s: prerequisite failed (%s)", change.summary(), rcode.name)
        raise Conflict(_conflict_message(change, dns.rcode.to_text(rcode)))

    def _add(
        self, update: dns.update.UpdateMessage, change: RecordChange, exclusive: set[str]
    ) -> _Part:
        """Put one change and its prerequisites into `update`."""
        name = self._name_in_zone(change.name)
        rdata = rdata_of(change.rtype, change.value)
        if change.action == "create":
            if change.rtype == "CNAME" or change.name in exclusive:
                update.absent(name)
            else:
                update.absent(name, "CNAME")
                update.absent(name, change.rtype)
            update.add(name, change.ttl, rdata)
        elif change.action == "update":
            assert change.previous is not None  # RecordChange guarantees it
            update.present(name, rdata_of(change.rtype, change.previous))
            update.replace(name, change.ttl, rdata)
        else:
            update.present(name, rdata)
            update.delete(name, change.rtype)
        return change, name, rdata

    def _already_applied(
        self, change: RecordChange, name: dns.name.Name, rdata: dns.rdata.Rdata
    ) -> bool:
        """Ask the primary, atomically, whether the zone already holds the planned result:
        an update message with prerequisites only changes nothing and answers NOERROR
        exactly when they hold."""
        probe = self._new_update()
        if change.action == "delete":
            probe.absent(name, change.rtype)
        else:
            probe.present(name, rdata)  # the whole RRset is exactly {value}
        rcode = self._send(probe)
        if rcode == dns.rcode.NOERROR:
            return True
        if rcode in PREREQUISITE_FAILED:
            return False
        raise StepFailed(SOURCE, self.primary, rcode_reason(rcode))

    def _new_update(self) -> dns.update.UpdateMessage:
        keyring = self._key.dns_key() if self._key else None
        return dns.update.UpdateMessage(self.origin, keyring=keyring)

    def _send(self, update: dns.update.UpdateMessage) -> dns.rcode.Rcode:
        """Send an update over TCP to the primary; return the RCODE of the (verified)
        response. TSIG and transport failures become StepFailed/ServerUnreachable."""
        server = self.primary
        try:
            response = dns.query.tcp(update, server, timeout=self.timeout, port=self.port)
        except dns.tsig.PeerError as exc:
            name = _TSIG_PEER_ERRORS.get(type(exc), "TSIG error")
            raise StepFailed(
                SOURCE,
                server,
                f"{name}: server menolak tanda tangan TSIG / the server "
                "rejected the TSIG signature",
            ) from None
        except _BAD_RESPONSE_SIGNATURE:
            raise StepFailed(
                SOURCE,
                server,
                "tanda tangan TSIG jawaban tidak sah / the response's TSIG signature is invalid",
            ) from None
        except (dns.exception.DNSException, OSError) as exc:
            raise translate(server, exc, self.timeout) from None
        return response.rcode()

    def _name_in_zone(self, fqdn: str) -> dns.name.Name:
        name = dns.name.from_text(fqdn)
        if not name.is_subdomain(self.origin) or name == self.origin:
            raise InvalidInput(
                "name",
                f"{fqdn} tidak berada di bawah zona {self.zone} / {fqdn} is not "
                f"below the zone {self.zone}",
            )
        return name


def _conflict_message(change: RecordChange, rcode: str) -> str:
    if change.action == "create":
        state_id = "sudah memiliki rekaman lain"
        state_en = "already holds other records"
    else:
        expected = change.previous if change.action == "update" else change.value
        state_id = f"tidak lagi berisi {expected}"
        state_en = f"no longer holds {expected}"
    return (
        f"{change.name} ({change.rtype}) {state_id}; seseorang telah mengubahnya sejak rencana "
        f"dibuat ({rcode}). Buat rencana baru / {change.name} ({change.rtype}) {state_en}; "
        f"someone else changed it since the plan was made ({rcode}). Make a new plan"
    )
