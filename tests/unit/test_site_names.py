"""Every per-site name: within the limits of the server it goes to, distinct per label, and
unchanged wherever the old derivation already fitted (approved plans keep their checksum)."""

from __future__ import annotations

import hashlib

from hypothesis import given, strategies as st

from provisioner.domain.requests import db_identifiers
from provisioner.domain.site_names import (
    DB_GRANT_PATTERN_MAX,
    DB_NAME_MAX,
    DB_USER_MAX,
    LINUX_USER_MAX,
    HostNames,
    SiteNames,
    bilingual,
    grant_pattern_length,
)

ZONE = "demokab.go.id"
# DNS labels as the naming policy allows them: letters, digits, inner hyphens, ≤ 63.
LABELS = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)


def names(label: str, zone: str = ZONE) -> SiteNames:
    return SiteNames.derive(label, fqdn=f"{label}.{zone}", dev_fqdn=f"{label}.dev.{zone}")


def old_db_identifiers(label: str) -> tuple[str, str]:
    """The derivation before site_names (domain/requests.py), kept here to compare with."""
    base = label.replace("-", "_")
    db_name = f"site_{base}"[:64]
    user = f"u_{base}"
    if len(user) > 32:
        user = f"{user[:25]}_{hashlib.sha256(label.encode()).hexdigest()[:6]}"
    return db_name, user


def test_63_char_labels_differing_in_the_last_char_get_distinct_names_within_limits() -> None:
    a = "-".join(["abcdefg"] * 8)[:62] + "a"
    b = a[:-1] + "b"
    assert len(a) == len(b) == 63
    one, two = names(a), names(b)
    assert one.db_name != two.db_name and one.db_user != two.db_user
    assert one.prod.site_user != two.prod.site_user and one.dev.site_user != two.dev.site_user
    for site in (one, two):
        assert site.problems() == []
        assert grant_pattern_length(site.db_name) <= DB_GRANT_PATTERN_MAX
        assert len(site.db_user) <= DB_USER_MAX
    # What the old truncation gave both of them, and MariaDB refused in the GRANT (1102):
    assert old_db_identifiers(a)[0] == old_db_identifiers(b)[0]
    assert grant_pattern_length(old_db_identifiers(a)[0]) > DB_GRANT_PATTERN_MAX


@given(LABELS)
def test_names_that_fitted_before_stay_exactly_as_they_were(label: str) -> None:
    old_name, old_user = old_db_identifiers(label)
    new_name, new_user = db_identifiers(label)
    assert new_user == old_user  # the user derivation was already collision-free
    fitted = len(f"site_{label}") <= DB_NAME_MAX and grant_pattern_length(old_name) <= 64
    if fitted:
        assert new_name == old_name


@given(LABELS)
def test_every_derived_name_fits_its_server(label: str) -> None:
    site = names(label)
    assert site.problems() == []
    assert len(site.db_name) <= DB_NAME_MAX
    assert grant_pattern_length(site.db_name) <= DB_GRANT_PATTERN_MAX
    assert len(site.prod.site_user) <= LINUX_USER_MAX


@given(LABELS, LABELS)
def test_two_labels_never_share_a_database_or_a_user(a: str, b: str) -> None:
    if a != b:
        assert names(a).clashes_with(names(b)) == []


def test_a_site_clashes_with_another_holding_its_database() -> None:
    mine = names("dinkes")
    theirs = names("sikes").with_database(mine.db_name, None)
    assert mine.clashes_with(theirs) == [("basis data site_dinkes", "database site_dinkes")]


def test_names_too_long_for_a_web_host_are_reported_with_the_limit() -> None:
    host = HostNames.of("x" * 240 + ".go.id")
    problems = host.problems()
    assert any("255" in en and "file name" in en for _, en in problems)
    site = SiteNames("x", "site_x", "u_" + "x" * 40, host, host)
    message = bilingual(site.problems())
    assert "pengguna basis data" in message.split(" / ")[0]
    assert "the database user" in message.split(" / ")[1]
    assert message.count(" / ") == 1  # one Indonesian part, one English part


def test_host_names_follow_the_roles_paths() -> None:
    host = HostNames.of("dinkes.dev.demokab.go.id")
    assert host.tree == "/var/www/dinkes.dev.demokab.go.id"
    assert host.vhost_file == "/etc/apache2/sites-available/dinkes.dev.demokab.go.id.conf"
    assert host.fpm_pool_file == "/etc/php/8.2/fpm/pool.d/dinkes.dev.demokab.go.id.conf"
    assert host.fpm_socket == f"/run/php/php8.2-fpm-{host.site_user}.sock"
    assert host.cert_name == "dinkes.dev.demokab.go.id"
