"""The SOP presets in provisioner/sop_presets/ are written as the seed SOP documents say.

Plain PyYAML on purpose: these facts come from the seeds (step count, mutu baku per step in
order, who acts, which steps are hardware jobs and which prepare letters), not from the
pydantic model in provisioner/domain/sop.py, which checks the format itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

PRESETS = Path(__file__).resolve().parents[2] / "provisioner" / "sop_presets"

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
PRESET_KEY = re.compile(r"^[a-z0-9-]+$")
LIMIT = re.compile(r"^[1-9][0-9]*[mhd]$")
ROLES = {"opd", "secretariat", "kadis", "kabid", "team", "network", "technical", "developer"}
OUTCOMES = {
    "done",
    "approve",
    "reject",
    "return",
    "needed",
    "not_needed",
    "continue",
    "improve",
    "retire",
}
ENDS = {"completed", "rejected", "not_needed", "retired"}
LETTERS = {
    "reply",
    "refusal",
    "invitation",
    "recommendation",
    "assignment",
    "berita_acara",
    "evaluation",
}
JOBS = {"subdomain", "hosting", "dev_install", "production", "load_test", "security_scan"}
WITA_HOURS = {
    "mon": "08:00-16:00",
    "tue": "08:00-16:00",
    "wed": "08:00-16:00",
    "thu": "08:00-16:00",
    "fri": "08:00-16:30",
}

# Per preset, from its seed: request type, where it comes from (agency + SOP number), the
# clock's time zone, and per step in order the limit (None: the seed gives none), the role,
# and the output (("job", kind), ("letter", kind) or ("record", None)).
EXPECTED: dict[str, dict] = {
    "default": {
        "request_type": "subdomain",
        "source": [],
        "tz": "Asia/Makassar",
        "steps": [
            ("30m", "kadis", ("record", None)),
            ("2h", "network", ("record", None)),
            ("4h", "network", ("job", "hosting")),
            ("1d", "kadis", ("letter", "reply")),
            (None, "opd", ("record", None)),  # the OPD's revision, reached by `return`
        ],
    },
    "tapin-subdomain": {
        "request_type": "subdomain",
        "source": ["Tapin", "000.8.3.3/0I 1.q/DISKOMINFO/I/2024"],
        "tz": "Asia/Makassar",
        "steps": [
            ("30m", "kadis", ("record", None)),
            ("2h", "network", ("record", None)),
            ("4h", "network", ("job", "subdomain")),
            ("1d", "kadis", ("letter", "reply")),
        ],
    },
    "tapin-aplikasi": {
        "request_type": "application_development",
        "source": ["Tapin", "000.8.3.3/0I 1.q/DISKOMINFO/I/2024"],
        "tz": "Asia/Makassar",
        "steps": [
            (None, "opd", ("record", None)),  # 1 surat permohonan masuk
            ("1d", "kadis", ("record", None)),  # 2 disposisi Kadis
            (None, "kabid", ("record", None)),  # 3 verifikasi + disposisi Kabid
            (None, "team", ("record", None)),  # 4 seksi menunjuk tim
            ("1d", "team", ("record", None)),  # 5 identifikasi kebutuhan
            (None, "kabid", ("record", None)),  # 6 verifikasi ketersediaan
            (None, "kabid", ("letter", "refusal")),  # 7 laporan ketidaktersediaan, surat ke OPD
            ("1d", "team", ("record", None)),  # 8 rencana pengembangan
            ("1d", "team", ("record", None)),  # 9 presentasi rencana
            (None, "opd", ("record", None)),  # 10 tanggapan OPD
            ("120d", "team", ("record", None)),  # 11 pengembangan (1-6 bulan)
            ("7d", "team", ("record", None)),  # 12 presentasi hasil (2-7 hari)
            (None, "opd", ("record", None)),  # 13 tanggapan OPD
            ("7d", "team", ("record", None)),  # 14 laporan ke seksi (2-7 hari)
            (None, "kabid", ("record", None)),  # 15 Kabid menerima laporan
            (None, "team", ("letter", "berita_acara")),  # 16 berita acara pekerjaan
            (None, "team", ("record", None)),  # 17 evaluasi sistem (6 bulan)
        ],
    },
    "muaraenim-mandiri": {
        "request_type": "application_development",
        "source": ["Muara Enim", "800/38.a/DISKOMINFO-III/2021"],
        "tz": "Asia/Jakarta",
        "steps": [
            ("3d", "opd", ("record", None)),
            ("3d", "team", ("record", None)),
            ("120m", "kabid", ("record", None)),
            ("60m", "team", ("letter", "assignment")),
            ("4d", "team", ("record", None)),
            ("60m", "team", ("letter", "assignment")),
            ("4d", "team", ("record", None)),
            ("4d", "team", ("record", None)),
            ("90d", "team", ("record", None)),
            ("3d", "team", ("record", None)),
            ("90m", "team", ("record", None)),
            ("120m", "kabid", ("record", None)),
            ("1d", "team", ("record", None)),
            (None, "team", ("record", None)),
        ],
    },
    "muaraenim-pengembang": {
        "request_type": "application_development",
        "source": ["Muara Enim", "800/38.a/DISKOMINFO-III/2021"],
        "tz": "Asia/Jakarta",
        "steps": [
            ("3d", "opd", ("record", None)),
            ("3d", "team", ("record", None)),
            ("120m", "kabid", ("record", None)),
            ("3d", "team", ("record", None)),
            ("90d", "kabid", ("record", None)),
            ("120m", "kabid", ("record", None)),
            ("1d", "team", ("record", None)),
            (None, "team", ("record", None)),
        ],
    },
    "kaltara-rekomendasi": {
        "request_type": "application_recommendation",
        "source": ["Kalimantan Utara", "SOP-KOMINFO/DISKOMINFO.1/2022"],
        "tz": "Asia/Makassar",
        "steps": [
            ("20m", "secretariat", ("record", None)),  # 1 tanda terima (Bagian Umum)
            ("20m", "kadis", ("record", None)),  # 2 disposisi Kadis
            ("20m", "kabid", ("record", None)),  # 3 disposisi Kabid ...
            ("20m", "team", ("letter", "invitation")),  # 3 ... verifikasi + undangan
            ("60m", "opd", ("record", None)),  # 4 pemaparan
            ("120m", "team", ("record", None)),  # 5 hasil kajian
            ("1d", "kadis", ("letter", "recommendation")),  # 6 persetujuan/rekomendasi
        ],
    },
    "kaltara-pengembangan": {
        "request_type": "application_development",
        "source": ["Kalimantan Utara", "SOP-KOMINFO/DISKOMINFO.1/2022"],
        "tz": "Asia/Makassar",
        "steps": [
            (None, "team", ("record", None)),  # 9 rancang bangun
            (None, "team", ("record", None)),  # 10a-c implementasi
            (None, "team", ("job", "dev_install")),  # 10d development server
            (None, "team", ("record", None)),  # 11a uji fungsi
            (None, "team", ("job", "load_test")),  # 11b uji beban
            (None, "team", ("job", "security_scan")),  # 11c uji keamanan (scan)
            (None, "team", ("record", None)),  # 11c penetration testing
            (None, "team", ("record", None)),  # 11d uji integrasi
            (None, "opd", ("record", None)),  # 11e UAT
            (None, "team", ("job", "production")),  # 12 deploy production
            (None, "team", ("record", None)),  # 13a pemeliharaan
            (None, "opd", ("record", None)),  # 13b-d evaluasi berkala
            (None, "team", ("record", None)),  # 14 laporan akhir
        ],
    },
    "batam-aplikasi": {
        "request_type": "application_development",
        "source": ["Batam", "11/SOP/Kominfo-PE/10/2018"],
        "tz": "Asia/Jakarta",
        "steps": [
            ("1d", "opd", ("record", None)),  # 1 permohonan Kepala OPD
            ("1d", "kadis", ("letter", "assignment")),  # 2 surat penunjukan
            ("3d", "opd", ("record", None)),  # 3 SK Tim Teknis OPD
            ("1d", "team", ("letter", "invitation")),  # 4 surat undangan
            ("5d", "team", ("record", None)),  # 5 analisis
            ("2d", "opd", ("record", None)),  # 6 draft KAK
            ("2d", "team", ("record", None)),  # 7 pengecekan KAK
            ("15d", "opd", ("record", None)),  # 8 pengesahan KAK, pengadaan
            ("1d", "developer", ("record", None)),  # 9 presentasi rencana
            ("1d", "team", ("record", None)),  # 10 tanggapan
            ("1d", "team", ("record", None)),  # 11 sourcecode repository
            (None, "developer", ("record", None)),  # 12 pengembangan (sesuai KAK)
            ("1d", "developer", ("record", None)),  # 13 presentasi hasil
            ("3d", "team", ("job", "dev_install")),  # 14 instalasi/testing server Kominfo
            ("1d", "team", ("letter", "recommendation")),  # 15 rekomendasi subdomain/hosting
        ],
    },
    "tarakan-konsultasi": {
        "request_type": "consultation",
        "source": ["Tarakan", "067/29/SOP/DKISP/2022"],
        "tz": "Asia/Makassar",
        "steps": [
            ("2m", "opd", ("record", None)),
            ("3m", "secretariat", ("record", None)),
            ("2m", "kadis", ("record", None)),
            ("25m", "kabid", ("record", None)),
            ("30m", "kadis", ("record", None)),
            ("15m", "opd", ("record", None)),
            ("3d", "team", ("record", None)),
            ("7d", "team", ("record", None)),
            ("90m", "team", ("job", "dev_install")),
            ("2m", "team", ("record", None)),
            ("2m", "kadis", ("record", None)),
        ],
    },
}


def load(name: str) -> dict:
    return yaml.safe_load((PRESETS / f"{name}.yaml").read_text(encoding="utf-8"))


def output_of(step: dict) -> tuple[str, str | None]:
    ((kind, value),) = step["output"].items()
    return kind, (None if kind == "record" else value)


def test_every_preset_is_known_and_ships_as_a_package() -> None:
    assert (PRESETS / "__init__.py").is_file()
    assert {p.stem for p in PRESETS.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_steps_as_the_seed_writes_them(name: str) -> None:
    sop, want = load(name), EXPECTED[name]
    steps = sop["steps"]
    assert sop["key"] == name
    assert sop["version"] == 1
    assert sop["request_type"] == want["request_type"]
    for part in want["source"]:
        assert part in sop["source"]
    assert len(steps) == len(want["steps"])
    assert [s.get("limit") for s in steps] == [w[0] for w in want["steps"]]
    assert [s["role"] for s in steps] == [w[1] for w in want["steps"]]
    assert {s["key"]: output_of(s)[1] for s in steps if output_of(s)[0] == "job"} == {
        s["key"]: w[2][1] for s, w in zip(steps, want["steps"], strict=True) if w[2][0] == "job"
    }
    assert {s["key"]: output_of(s)[1] for s in steps if output_of(s)[0] == "letter"} == {
        s["key"]: w[2][1] for s, w in zip(steps, want["steps"], strict=True) if w[2][0] == "letter"
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_service_hours(name: str) -> None:
    hours = load(name)["service_hours"]
    assert hours["tz"] == EXPECTED[name]["tz"]
    # Kaltara's SOP gives these hours (E. Waktu Pelaksanaan); the others give none and keep them.
    assert hours["days"] == WITA_HOURS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_well_formed(name: str) -> None:
    sop = load(name)
    assert PRESET_KEY.match(sop["key"])
    fields, documents = sop.get("fields") or {}, sop.get("documents") or {}
    for table in (fields, documents):
        for key, item in table.items():
            assert SNAKE.match(key), key
            assert item["name"]["id"].strip() and item["name"]["en"].strip(), key
            assert item.get("kind", "text") in {"text", "user", "date"}
    assert sop["name"]["id"].strip() and sop["name"]["en"].strip()
    assert set(sop["intake"].get("fields", [])) <= set(fields)
    assert set(sop["intake"].get("documents", [])) <= set(documents)

    keys = [s["key"] for s in sop["steps"]]
    assert len(keys) == len(set(keys))
    used_fields, used_docs = (
        set(sop["intake"].get("fields", [])),
        set(sop["intake"].get("documents", [])),
    )
    for step in sop["steps"]:
        assert SNAKE.match(step["key"]), step["key"]
        assert step["name"]["id"].strip() and step["name"]["en"].strip()
        assert step["role"] in ROLES
        if "limit" in step:
            assert LIMIT.match(step["limit"]), step["limit"]
        requires = step.get("requires") or {}
        assert set(requires.get("fields", [])) <= set(fields), step["key"]
        assert set(requires.get("documents", [])) <= set(documents), step["key"]
        used_fields |= set(requires.get("fields", []))
        used_docs |= set(requires.get("documents", []))
        kind, value = next(iter(step["output"].items()))
        assert len(step["output"]) == 1
        assert kind in {"record", "letter", "job"}
        if kind == "letter":
            assert value in LETTERS
        elif kind == "job":
            assert value in JOBS
        else:
            assert SNAKE.match(value)
        for outcome, then in (step.get("outcomes") or {}).items():
            assert outcome in OUTCOMES
            assert set(then) <= {"next", "end", "letter"}
            if "next" in then:
                assert then["next"] in keys, (step["key"], then["next"])
            if "end" in then:
                assert then["end"] in ENDS
            if "letter" in then:
                assert then["letter"] in LETTERS
    # Nothing declared that no step or intake asks for.
    assert used_fields == set(fields)
    assert used_docs == set(documents)


def _outcomes(name: str) -> dict[str, dict]:
    return {s["key"]: s["outcomes"] for s in load(name)["steps"] if "outcomes" in s}


def test_branches_as_the_seeds_write_them() -> None:
    default = _outcomes("default")
    assert default["create_subdomain"] == {
        "approve": {},
        "reject": {"letter": "refusal", "end": "rejected"},
        "return": {"next": "opd_revision"},
    }
    assert default["opd_revision"] == {"done": {"next": "create_subdomain"}}
    assert _outcomes("tapin-subdomain") == {}  # the seed does not branch

    tapin = _outcomes("tapin-aplikasi")
    assert tapin["availability_check"] == {"approve": {"next": "development_plan"}, "reject": {}}
    assert tapin["unavailability_letter"] == {"done": {"end": "rejected"}}
    assert tapin["plan_response"]["return"] == {"next": "development_plan"}
    assert tapin["result_response"]["return"] == {"next": "development_plan"}

    kaltara = _outcomes("kaltara-rekomendasi")
    assert kaltara["assessment"] == {
        "needed": {},
        "not_needed": {"letter": "refusal", "end": "not_needed"},
    }
    assert kaltara["recommendation"]["reject"] == {"letter": "refusal", "end": "rejected"}

    assert _outcomes("tarakan-konsultasi") == {
        "decision": {"approve": {}, "reject": {"letter": "refusal", "end": "rejected"}}
    }
    assert _outcomes("batam-aplikasi") == {}
    assert _outcomes("muaraenim-mandiri") == {} == _outcomes("muaraenim-pengembang")


@pytest.mark.parametrize(
    ("name", "step", "improve_to", "more"),
    [
        ("tapin-aplikasi", "evaluation", "development_plan", {}),
        # Kaltara's evaluation (13) is followed by the final report (14): `done` goes there.
        ("kaltara-pengembangan", "evaluation", "maintenance", {"done": {}}),
    ],
)
def test_evaluation_repeats_every_six_months(
    name: str, step: str, improve_to: str, more: dict
) -> None:
    steps = load(name)["steps"]
    (evaluation,) = [s for s in steps if s["key"] == step]
    assert evaluation["repeat_every"] == "182d"
    assert "limit" not in evaluation
    # A form (usage, problems) whose decision is the outcome, each stated in a letter.
    assert evaluation["requires"]["fields"] == ["usage", "problems"]
    assert evaluation["outcomes"] == {
        "continue": {"letter": "evaluation"},
        "improve": {"next": improve_to, "letter": "evaluation"},
        **more,
        "retire": {"end": "retired", "letter": "evaluation"},
    }
    # Every step after the evaluation can be reached from it.
    after = [s["key"] for s in steps[steps.index(evaluation) + 1 :]]
    assert not after or "done" in evaluation["outcomes"], after
    others = [s for p in EXPECTED for s in load(p)["steps"] if "repeat_every" in s]
    assert len(others) == 2


def test_dispositions() -> None:
    want = {
        "default": ["disposition"],
        "tapin-subdomain": ["request_disposition"],
        "tapin-aplikasi": ["kadis_disposition", "kabid_disposition", "appoint_team"],
        "kaltara-rekomendasi": ["kadis_disposition", "kabid_disposition"],
        "tarakan-konsultasi": ["disposition"],
    }
    for name in EXPECTED:
        got = [s["key"] for s in load(name)["steps"] if s.get("disposition")]
        assert got == want.get(name, []), name


def test_kaltara_intake_carries_the_proposal_sections() -> None:
    intake = load("kaltara-rekomendasi")["intake"]
    assert intake["documents"] == ["request_letter", "proposal"]
    assert intake["fields"] == [
        "legal_basis",
        "problem_and_need",
        "benefit",
        "similar_systems",
        "functional_features",
        "monitored_activities",
        "system_data",
        "system_reports",
        "system_standards",
        "authentication_access",
        "integration",
        "interface",
        "functional_other",
        "implementer",
        "resources_budget",
        "schedule",
    ]


def test_batam_installs_on_dev_before_recommending() -> None:
    steps = load("batam-aplikasi")["steps"]
    assert [s["key"] for s in steps[-2:]] == ["dev_install", "recommendation"]
    assert not any(output_of(s) == ("job", "production") for s in steps)
