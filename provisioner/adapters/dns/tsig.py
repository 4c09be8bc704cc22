"""TSIG keys: what signs every update and zone transfer, and never shows its secret.

The secret never appears in a repr, an exception or a log line.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.tsig

from provisioner.domain.errors import InvalidInput, NotFound


class _RedactedKey(dns.tsig.Key):
    """dnspython's Key prints its secret in repr(); this one does not."""

    def __repr__(self) -> str:
        return f"<TSIG key {self.name} {self.algorithm} (secret hidden)>"

    __str__ = __repr__


@dataclass(frozen=True)
class TsigKey:
    """A TSIG key: name, algorithm (e.g. hmac-sha256) and base64 secret (never shown)."""

    name: str
    algorithm: str
    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        try:
            base64.b64decode(self.secret, validate=True)
            self.dns_key()
        except (binascii.Error, ValueError, dns.exception.DNSException):
            # The message must not echo the secret, so it says only what is wrong.
            raise InvalidInput(
                "tsig_key",
                f"Kunci TSIG {self.name} tidak sah (algoritme atau rahasia base64) / "
                f"The TSIG key {self.name} is invalid (algorithm or base64 secret)",
            ) from None

    @classmethod
    def load(cls, path: Path | str) -> TsigKey:
        """Read {"name", "algorithm", "secret"} from a JSON file (`tsig-keygen` output
        converted by the lab, or written by the agency's DNS administrator)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(name=data["name"], algorithm=data["algorithm"], secret=data["secret"])
        except FileNotFoundError:
            raise NotFound(
                f"Berkas kunci TSIG {path} tidak ditemukan / TSIG key file {path} not found"
            ) from None
        except (OSError, ValueError, KeyError, TypeError):
            raise InvalidInput(
                "tsig_key_file",
                f"Berkas kunci TSIG {path} tidak dapat dibaca sebagai JSON "
                '{"name", "algorithm", "secret"} / The TSIG key file '
                f'{path} is not readable as JSON {{"name", "algorithm", "secret"}}',
            ) from None

    def dns_key(self) -> dns.tsig.Key:
        """The dnspython key object (with a redacted repr)."""
        return _RedactedKey(self.name, self.secret, self.algorithm)
