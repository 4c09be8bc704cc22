"""The lab's test CA (pebble) makes a new root at every start: certificates issued before a
restart must still verify, so the verification bundle keeps every root seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.adapters import tls
from provisioner.bootstrap.configs import tls_config
from provisioner.config import Settings


def _cert(n: int) -> str:
    return f"-----BEGIN CERTIFICATE-----\nROOT{n}\n-----END CERTIFICATE-----\n"


def test_roots_of_earlier_ca_starts_are_kept_without_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = tmp_path / "acme" / "ca.pem"
    ca.parent.mkdir()
    ca.write_text(_cert(0))
    settings = Settings(data_dir=tmp_path, acme_ca_file=ca,
                        acme_roots_url="https://127.0.2.53:15000/roots/0")
    current = {"pem": _cert(1)}
    monkeypatch.setattr(tls, "fetch_ca_roots", lambda url, ca_file: current["pem"])

    first = Path(tls.verification_roots(tls_config(settings), tmp_path / "a.pem") or "")
    assert tls._pem_blocks(first.read_text()) == [_cert(1)]

    current["pem"] = _cert(2)  # the CA restarted with a new root
    second = Path(tls.verification_roots(tls_config(settings), tmp_path / "b.pem") or "")
    assert tls._pem_blocks(second.read_text()) == [_cert(1), _cert(2)]

    # The same root again: no duplicate.
    tls.verification_roots(tls_config(settings), tmp_path / "c.pem")
    assert tls._pem_blocks((tmp_path / "c.pem").read_text()) == [_cert(1), _cert(2)]
