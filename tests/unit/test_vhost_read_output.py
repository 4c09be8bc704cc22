"""The read script's answer as a snapshot (adapters.vhost_reader, pure parsing): paths and
bytes in base64, Apache's own failure reported, an answer that cannot be read refused."""

from __future__ import annotations

import base64

import pytest

from provisioner.adapters.vhost_reader import parse_read_output
from provisioner.domain.errors import StepFailed


def b64(text: str | bytes) -> str:
    return base64.b64encode(text if isinstance(text, bytes) else text.encode()).decode()


SUMMARY = "*:80 is a NameVirtualHost\n"
VHOST = b"<VirtualHost *:80>\n\tServerName arsip.demokab.go.id\n</VirtualHost>\n\xff"


def test_every_fact_of_the_answer() -> None:
    out = "\n".join([
        f"@@summary 0 {b64(SUMMARY)}",
        f"@@file {b64('/etc/apache2/sites-enabled/arsip.conf')} "
        f"{b64('/etc/apache2/sites-available/arsip.conf')} {b64('../sites-available/arsip.conf')} "
        f"{b64(VHOST)}",
        f"@@file {b64('/etc/apache2/sites-enabled/plain.conf')} "
        f"{b64('/etc/apache2/sites-enabled/plain.conf')} - {b64('')}",
        f"@@php {b64('/var/www/simpeg')}",
        f"@@global {b64('conf-enabled/php8.2-fpm.conf')}",
        "@@fpm 8.2", "@@fpm 7.4",
    ])  # fmt: skip
    snap = parse_read_output("web-prod", out)
    assert snap.summary == SUMMARY
    arsip, plain = snap.files
    assert arsip.data == VHOST  # the bytes as they are, undecodable ones too
    assert arsip.link_target == "../sites-available/arsip.conf"
    assert arsip.real_path == "/etc/apache2/sites-available/arsip.conf"
    assert (plain.link_target, plain.data) == (None, b"")
    assert snap.php_docroots == frozenset({"/var/www/simpeg"})
    assert snap.global_php_handler == "conf-enabled/php8.2-fpm.conf"
    assert snap.fpm_versions == ("7.4", "8.2")


def test_a_configuration_apache_refuses_is_a_failure_with_its_words() -> None:
    with pytest.raises(StepFailed) as exc:
        parse_read_output("web-prod", f"@@summary 1 {b64('AH00526: Syntax error on line 3')}")
    assert "AH00526: Syntax error on line 3" in exc.value.message


def test_no_apache_and_no_answer() -> None:
    with pytest.raises(StepFailed, match="Apache is not installed"):
        parse_read_output("web-prod", "@@noapache")
    with pytest.raises(StepFailed, match="gave no answer"):
        parse_read_output("web-prod", "")
    with pytest.raises(StepFailed, match="unreadable answer"):
        parse_read_output("web-prod", "@@summary 0 !!notbase64!!")
