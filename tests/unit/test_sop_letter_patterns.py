"""SOP letters are numbered from configurable patterns per kind: the settings refuse an
unknown kind or a pattern that cannot number a letter, naming which."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from provisioner.config import Settings


def test_a_pattern_per_kind_is_taken() -> None:
    s = Settings(sop_letter_patterns={"refusal": "{klasifikasi}/{nomor:04d}/TOLAK/{tahun}"})
    assert s.sop_letter_patterns["refusal"].endswith("/TOLAK/{tahun}")


@pytest.mark.parametrize(
    ("patterns", "named"),
    [
        ({"surat_cinta": "{nomor}/{tahun}"}, "surat_cinta"),
        ({"refusal": "{nomr}/{tahun}"}, "refusal"),
        ({"invitation": "{nomor:03d"}, "invitation"),
    ],
)
def test_a_pattern_that_cannot_number_is_refused(patterns: dict[str, str], named: str) -> None:
    with pytest.raises(ValidationError) as err:
        Settings(sop_letter_patterns=patterns)
    assert "sop_letter_patterns" in str(err.value) and named in str(err.value)
