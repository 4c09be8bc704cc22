"""Separation of duties: every role × every action, allowed or refused, plus the rules
that do not depend on the role alone (own request, own agency)."""

from __future__ import annotations

import itertools

import pytest

from provisioner.domain.actors import Action, Actor, Role, ensure_allowed
from provisioner.domain.errors import Forbidden

R = Role
EXPECTED: dict[Action, set[Role]] = {
    Action.SUBMIT: {R.OPD, R.ADMIN},
    Action.VIEW: {R.OPD, R.NETWORK, R.TECHNICAL, R.APPROVER, R.ADMIN},
    Action.DECIDE: {R.NETWORK, R.ADMIN},  # the network team approves DNS + hosting plans
    Action.OPERATE: {R.TECHNICAL, R.NETWORK, R.ADMIN},
    Action.DEPLOY: {R.TECHNICAL, R.ADMIN},
    Action.PROMOTE: {R.TECHNICAL, R.ADMIN},  # the technical team approves promotion
    Action.SIGN_LETTER: {R.APPROVER},  # only the approver signs letters
    Action.MANAGE_USERS: {R.ADMIN},
    Action.AUDIT: {R.ADMIN, R.APPROVER},
    Action.DASHBOARD: {R.APPROVER, R.ADMIN, R.NETWORK, R.TECHNICAL},
}


def actor(role: Role) -> Actor:
    return Actor(f"u-{role}", role, "Dinas Kesehatan" if role is Role.OPD else None)


def test_the_matrix_covers_every_action():
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize(("role", "action"), list(itertools.product(Role, Action)))
def test_role_may_do_action_exactly_when_expected(role: Role, action: Action):
    who = actor(role)
    if role in EXPECTED[action]:
        ensure_allowed(who, action, owner="someone-else", agency=who.agency)
    else:
        with pytest.raises(Forbidden) as err:
            ensure_allowed(who, action, owner="someone-else", agency=who.agency)
        assert " / " in err.value.message


@pytest.mark.parametrize("action", [Action.DECIDE, Action.PROMOTE, Action.SIGN_LETTER])
@pytest.mark.parametrize("role", list(Role))
def test_nobody_approves_their_own_request(role: Role, action: Action):
    who = actor(role)
    with pytest.raises(Forbidden):
        ensure_allowed(who, action, owner=who.username, agency=who.agency)


@pytest.mark.parametrize("action", [Action.SUBMIT, Action.VIEW])
def test_an_opd_acts_only_for_its_own_agency(action: Action):
    opd = actor(Role.OPD)
    ensure_allowed(opd, action, agency="Dinas Kesehatan")
    with pytest.raises(Forbidden):
        ensure_allowed(opd, action, agency="Dinas Pendidikan")


def test_other_roles_see_every_agency():
    for role in set(Role) - {Role.OPD}:
        ensure_allowed(actor(role), Action.VIEW, agency="Dinas Pendidikan")
