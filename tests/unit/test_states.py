"""Request states: every pair of states is either a legal move or refused."""

import itertools

import pytest

from provisioner.domain.errors import Conflict
from provisioner.domain.states import TRANSITIONS, RequestState, can_transition, ensure_transition

ALL = list(RequestState)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ALL, ALL)))
def test_every_pair_is_allowed_exactly_when_listed(current, target):
    legal = current == target or target in TRANSITIONS[current]
    assert can_transition(current, target) is legal
    if legal:
        ensure_transition(current, target)
    else:
        with pytest.raises(Conflict) as err:
            ensure_transition(current, target)
        assert " / " in err.value.message  # bilingual


def test_rejected_and_retired_are_terminal():
    assert TRANSITIONS[RequestState.REJECTED] == frozenset()
    assert TRANSITIONS[RequestState.RETIRED] == frozenset()


def test_every_state_has_both_labels():
    for state in ALL:
        assert state.label_id and state.label_en


def test_live_is_reachable_only_after_production_or_without_hosting():
    sources = {s for s, targets in TRANSITIONS.items() if RequestState.LIVE in targets}
    assert sources == {RequestState.PROVISIONING, RequestState.PRODUCTION, RequestState.FAILED}


def test_returned_for_revision_goes_back_to_submitted_or_is_rejected():
    from provisioner.domain.states import WAITS_ON_OPD

    assert RequestState.RETURNED.label_id == "Dikembalikan untuk perbaikan"
    assert TRANSITIONS[RequestState.RETURNED] == {RequestState.SUBMITTED, RequestState.REJECTED}
    assert RequestState.RETURNED in TRANSITIONS[RequestState.SUBMITTED]
    assert RequestState.RETURNED in TRANSITIONS[RequestState.VERIFIED]
    assert set(WAITS_ON_OPD) == {RequestState.RETURNED}


def test_completed_change_requests_are_terminal_and_release_nothing():
    from provisioner.domain.states import HOLDS_NAME

    assert TRANSITIONS[RequestState.COMPLETED] == frozenset()
    assert RequestState.COMPLETED.label_id == "Selesai"
    assert RequestState.COMPLETED not in HOLDS_NAME
