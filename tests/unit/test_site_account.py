"""The site account name: deterministic, a valid Linux user name, distinct per site."""

from __future__ import annotations

import re

from provisioner.domain.site_account import USER_MAX, fpm_socket, site_user

VALID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def test_short_name_keeps_the_name_and_adds_a_hash() -> None:
    user = site_user("dinkes.dev.demokab.go.id")
    assert user.startswith("dinkes_dev_demokab_go_i_") and len(user) == 32
    assert user == site_user("dinkes.dev.demokab.go.id")  # deterministic


def test_long_and_digit_names_stay_valid_user_names() -> None:
    for fqdn in ("a" * 63 + ".demokab.go.id", "123.demokab.go.id", "x.id"):
        user = site_user(fqdn)
        assert VALID.match(user), user
        assert len(user) <= USER_MAX


def test_names_that_look_alike_get_different_users() -> None:
    # '.' and '-' both become '_': the hash keeps the two apart.
    assert site_user("a-b.demokab.go.id") != site_user("a.b.demokab.go.id")


def test_fpm_socket_is_per_site() -> None:
    assert (
        fpm_socket("x.demokab.go.id") == f"/run/php/php8.2-fpm-{site_user('x.demokab.go.id')}.sock"
    )
