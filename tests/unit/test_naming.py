"""The naming policy: what an agency may call its subdomain, and why not."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, strategies as st

from provisioner.domain.naming import (
    NamingPolicy,
    check_label,
    normalise_label,
    suggest_labels,
)

ZONE = "demokab.go.id"
POLICY = NamingPolicy()
ACCEPTED_SHAPE = re.compile(r"^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$")


def verdict(raw: str, policy: NamingPolicy = POLICY, agency: str | None = None):
    return check_label(raw, policy, zone=ZONE, agency=agency)


@pytest.mark.parametrize("raw", ["sipd", "dinkes", "e-budgeting", "ppid-dinkes", "sim2024", "abc"])
def test_ordinary_agency_labels_are_accepted(raw: str) -> None:
    result = verdict(raw)
    assert result.ok, result.reasons
    assert result.label == raw
    assert result.reasons == ()


def test_label_is_trimmed_and_lower_cased_before_checking() -> None:
    result = verdict("  SIPD-Bappeda\t")
    assert result.ok
    assert result.label == "sipd-bappeda"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("dinas_kesehatan", "underscore"),  # the Laravel alpha_dash mistake
        ("dinas kesehatan", "space"),
        ("sipd.bappeda", "dot"),
        ("*", "wildcard"),
        ("kesehatán", "unicode"),
        ("\u212aab", "unicode"),  # Kelvin sign must not become a plain "k"
        ("sipd\nwww", "control"),
        ("sipd\x00x", "control"),
        ("-sipd", "hyphen-edge"),
        ("sipd-", "hyphen-edge"),
        ("ab", "length"),
        ("a" * 64, "length"),
        ("12345", "digits-only"),
        ("ab--cd", "hyphen-34"),
        ("xn--kesehatn-e1a", "punycode"),
        ("www", "reserved"),
        ("ns1", "reserved"),
        ("autodiscover", "reserved"),
        ("judi-online", "forbidden-word"),
        ("slotgacor", "forbidden-word"),
        ("ju-di", "forbidden-word"),  # hyphens do not hide a word
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_refused_labels_name_the_problem(raw: str, code: str) -> None:
    result = verdict(raw)
    assert not result.ok
    assert code in result.codes
    assert len(result.codes) == len(result.reasons)


def test_every_reason_is_bilingual_and_says_what_is_allowed() -> None:
    result = verdict("dinas_kesehatan")
    (reason,) = result.reasons
    indonesian, english = reason.split(" / ")
    assert "garis bawah (_)" in indonesian and "a–z" in indonesian
    assert "underscore (_)" in english and "only letters a–z" in english


def test_all_problems_are_reported_at_once() -> None:
    result = verdict("-Judi_")
    assert {"hyphen-edge", "underscore", "forbidden-word"} <= set(result.codes)


def test_restricted_label_only_for_its_agency() -> None:
    policy = NamingPolicy(restricted={"ppid": "diskominfo"})
    assert verdict("ppid", policy, agency="diskominfo").ok
    other = verdict("ppid", policy, agency="dinkes")
    assert not other.ok and other.codes == ("restricted",)
    assert "diskominfo" in other.reasons[0]
    assert not verdict("ppid", policy, agency=None).ok


def test_punycode_allowed_only_when_policy_says_so_and_only_if_valid() -> None:
    policy = NamingPolicy(allow_punycode=True)
    assert verdict("xn--kesehatn-e1a", policy).ok
    assert "punycode-invalid" in verdict("xn--zzzzzz", policy).codes
    assert "punycode-invalid" in verdict("xn--abc", policy).codes  # decodes to control chars
    assert "hyphen-34" in verdict("ab--cd", policy).codes


def test_whole_name_longer_than_253_is_refused() -> None:
    long_zone = ".".join(["z" * 63] * 3)  # 191 characters
    result = check_label("a" * 62, POLICY, zone=long_zone)
    assert "fqdn-length" in result.codes


@pytest.mark.parametrize(
    "raw",
    [
        "sipd'; DROP TABLE",
        'sipd"',
        "a;b",
        "abc\nServerAlias evil.com",
        "$(reboot)",
        "${HOME}",
        "{{ config }}",
        "<Directive>",
        "</VirtualHost>",
        "a`id`",
        "a|b",
        "../etc",
        "a%0ab",
        "abc\r",
    ],
)
def test_injection_strings_are_refused(raw: str) -> None:
    result = verdict(raw)
    assert not result.ok
    assert ACCEPTED_SHAPE.fullmatch(result.label) is None


def test_reason_never_echoes_control_characters() -> None:
    result = verdict("www\n")
    assert all("\n" not in reason for reason in result.reasons)


@given(st.text())
def test_normalisation_is_idempotent(raw: str) -> None:
    once = normalise_label(raw)
    assert normalise_label(once) == once


@given(st.text(alphabet=string.printable + "_ÀéİKß\u00a0\u200b", max_size=70))
def test_anything_accepted_has_the_ldh_shape_and_obeys_the_policy(raw: str) -> None:
    result = verdict(raw)
    if result.ok:
        label = result.label
        assert ACCEPTED_SHAPE.fullmatch(label)
        assert POLICY.min_length <= len(label) <= POLICY.max_length
        assert not label.isdigit()
        assert label[2:4] != "--"
        assert label not in POLICY.reserved
        assert not any(word in label.replace("-", "") for word in POLICY.forbidden_words)
    else:
        assert result.reasons and all(" / " in reason for reason in result.reasons)


@given(st.from_regex(r"[a-z][a-z0-9]{2,20}", fullmatch=True))
def test_plain_lowercase_words_pass_unless_reserved_or_forbidden(label: str) -> None:
    result = verdict(label)
    expected = label not in POLICY.reserved and not any(
        word in label for word in POLICY.forbidden_words
    )
    assert result.ok is expected


def test_suggestions_repair_an_invalid_spelling() -> None:
    assert suggest_labels("Dinas_Kesehatan", lambda _: False, POLICY, zone=ZONE)[0] == (
        "dinas-kesehatan"
    )


def test_suggestions_skip_taken_names_and_the_input_itself() -> None:
    taken = {"sipd", "sipd-bappeda"}
    result = suggest_labels(
        "sipd", taken.__contains__, POLICY, zone=ZONE, agency_hint="bappeda", limit=3
    )
    assert result == ["bappeda-sipd", "sipd-online", "sipd-app"]


@given(
    st.text(alphabet=string.ascii_letters + string.digits + "-_ .", min_size=1, max_size=80),
    st.sets(st.from_regex(r"[a-z0-9-]{3,12}", fullmatch=True), max_size=20),
)
def test_suggestions_are_always_acceptable_and_free(raw: str, taken: set[str]) -> None:
    result = suggest_labels(raw, taken.__contains__, POLICY, zone=ZONE, agency_hint="dinkes")
    assert len(result) <= 5
    assert len(set(result)) == len(result)
    for label in result:
        assert verdict(label, agency="dinkes").ok
        assert label not in taken
        assert label != normalise_label(raw)


def test_nothing_to_suggest_from_a_label_with_no_usable_characters() -> None:
    assert suggest_labels("___", lambda _: False, POLICY, zone=ZONE) == []
