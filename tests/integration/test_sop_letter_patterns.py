"""An agency numbers its SOP letters its own way: a refusal issued under a configured
pattern carries that number on the API, the letter's PDF and the verification page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from provisioner.config import Settings
from tests.integration.test_sop_letter_verify import refused_consultation
from tests.sop_support import letter_text, sop_client

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def api(lab: Settings, tmp_path_factory: pytest.TempPathFactory):
    yield from sop_client(lab, tmp_path_factory.mktemp("sop-patterns"),
                          sop_letter_patterns={"refusal": "{nomor:04d}/TOLAK/{unit}/{tahun}"})


def test_the_refusal_is_numbered_with_the_agencys_pattern(api, tmp_path: Path) -> None:
    letter = refused_consultation(api)
    assert re.fullmatch(r"\d{4}/TOLAK/DISKOMINFO/20\d\d", letter["number"]), letter["number"]
    assert letter["number"] in letter_text(api, letter, tmp_path)
    page = api.get(f"/verify/{letter['verification_code']}")
    assert page.status_code == 200 and letter["number"] in page.text
