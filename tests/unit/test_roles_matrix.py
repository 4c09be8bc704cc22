"""Separation of duties: every role × every action, allowed or refused, plus the rules
that do not depend on the role alone (own request, own agency) — and the README's table
says exactly what the code does."""

from __future__ import annotations

import itertools
import re

import pytest

from provisioner.config import PROJECT_ROOT
from provisioner.domain.actors import ALLOWED, Action, Actor, Role, ensure_allowed, ensure_role
from provisioner.domain.errors import Forbidden

R = Role
EXPECTED: dict[Action, set[Role]] = {
    Action.SUBMIT: {R.OPD, R.ADMIN},
    Action.VIEW: {R.OPD, R.NETWORK, R.TECHNICAL, R.APPROVER, R.KABID, R.ADMIN},
    Action.DECIDE: {R.NETWORK},  # the network team alone approves plans (not the admin)
    Action.OPERATE: {R.TECHNICAL, R.ADMIN},  # retry / cancel: not the network team
    Action.DEPLOY: {R.TECHNICAL, R.ADMIN},
    Action.PROMOTE: {R.TECHNICAL, R.ADMIN},  # the technical team approves promotion
    Action.SIGN_LETTER: {R.APPROVER},  # only the approver signs letters
    Action.CORRECT_LETTER: {R.APPROVER, R.ADMIN},
    Action.RECORD_LETTER: {R.OPD, R.APPROVER, R.ADMIN},
    Action.MANAGE_USERS: {R.ADMIN},
    Action.AUDIT: {R.ADMIN, R.APPROVER},
    Action.DASHBOARD: {R.APPROVER, R.KABID, R.ADMIN, R.NETWORK, R.TECHNICAL},
    # Who acts on which step is the SOP's; the route is open to every signed-in role.
    Action.SOP_STEP: set(Role),
    Action.EDIT_SOP: {R.ADMIN},
    Action.ADOPT_DNS: {R.NETWORK},  # the network team says whose a found record is
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


def readme_table() -> dict[str, set[str]]:
    """The "Who may do what" table of the README's People section: action → roles ticked."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    people = text[text.index("## People"):]
    rows = [line.strip() for line in people.splitlines() if line.strip().startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    roles = header[2:]
    table: dict[str, set[str]] = {}
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        match = re.fullmatch(r"`([a-z_]+)`", cells[0])
        if match is None:  # the table ended; another one follows
            break
        table[match.group(1)] = {role for role, cell in zip(roles, cells[2:], strict=True)
                                if cell == "✓"}
    assert header[:2] == ["action", "routes"] and roles == [str(r) for r in Role], header
    return table


def test_readme_table_says_what_allowed_does():
    assert readme_table() == {str(a): {str(r) for r in roles} for a, roles in ALLOWED.items()}


def test_readme_table_lists_every_action_once():
    assert sorted(readme_table()) == sorted(str(a) for a in Action)


def test_admin_does_not_approve_plans():
    with pytest.raises(Forbidden):
        ensure_role(actor(Role.ADMIN), Action.DECIDE)


def test_network_team_does_not_retry_or_cancel_jobs():
    with pytest.raises(Forbidden):
        ensure_role(actor(Role.NETWORK), Action.OPERATE)
