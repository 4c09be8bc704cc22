"""The DNS plan: what the network team approves, its checksum, and the safety limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, strategies as st

from provisioner.domain.dns_plan import DnsPlan, RecordChange, guard_plan
from provisioner.domain.errors import InvalidInput, UnsafeChange

ZONE = "demokab.go.id"


def create_a(name: str = "sipd.demokab.go.id", value: str = "127.0.2.12") -> RecordChange:
    return RecordChange(action="create", name=name, rtype="A", ttl=300, value=value)


def everything_owned(name: str, rtype: str) -> bool:
    return True


def nothing_owned(name: str, rtype: str) -> bool:
    return False


def test_summaries_read_like_a_diff() -> None:
    plan = DnsPlan(
        zone=ZONE,
        changes=(
            create_a(),
            RecordChange("update", "app.demokab.go.id", "A", 300, "127.0.2.12", "127.0.2.11"),
            RecordChange("delete", "old.demokab.go.id", "CNAME", 600, "www.demokab.go.id"),
            RecordChange("create", "sipd.demokab.go.id", "TXT", 300, "owner=bappeda"),
        ),
    )
    assert plan.summary() == [
        "+ A sipd.demokab.go.id 127.0.2.12 (ttl 300)",
        "~ A app.demokab.go.id 127.0.2.11 → 127.0.2.12 (ttl 300)",
        "- CNAME old.demokab.go.id www.demokab.go.id (ttl 600)",
        '+ TXT sipd.demokab.go.id "owner=bappeda" (ttl 300)',
    ]


def test_names_and_values_are_normalised_on_construction() -> None:
    change = RecordChange("create", "SIPD.DemoKab.go.id.", "CNAME", 300, "WWW.demokab.go.id.")
    assert change.name == "sipd.demokab.go.id"
    assert change.value == "www.demokab.go.id"
    v6 = RecordChange("create", "v6.demokab.go.id", "AAAA", 300, "2001:0db8:0000::0001")
    assert v6.value == "2001:db8::1"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"value": "127.0.2.300"}, "value"),
        ({"value": "not-an-ip"}, "value"),
        ({"name": "sipd_x.demokab.go.id"}, "name"),
        ({"name": "*.demokab.go.id"}, "name"),
        ({"name": "a b.demokab.go.id"}, "name"),
        ({"ttl": 0}, "ttl"),
        ({"ttl": 10**6}, "ttl"),
        ({"ttl": True}, "ttl"),
        ({"rtype": "SRV"}, "rtype"),
        ({"action": "upsert"}, "action"),
        ({"previous": "127.0.2.11"}, "previous"),  # previous only belongs to an update
    ],
)
def test_malformed_changes_are_refused(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {
        "action": "create",
        "name": "sipd.demokab.go.id",
        "rtype": "A",
        "ttl": 300,
    }
    args["value"] = "127.0.2.12"
    args.update(kwargs)
    with pytest.raises(InvalidInput) as caught:
        RecordChange(**args)
    assert caught.value.field == field
    assert " / " in caught.value.message


def test_update_needs_a_different_previous_value() -> None:
    with pytest.raises(InvalidInput):
        RecordChange("update", "sipd.demokab.go.id", "A", 300, "127.0.2.12")
    with pytest.raises(InvalidInput):
        RecordChange("update", "sipd.demokab.go.id", "A", 300, "127.0.2.12", "127.0.2.12")


@pytest.mark.parametrize("text", ['a"b\nc', "tab\there", "é"])
def test_txt_text_must_be_printable_ascii(text: str) -> None:
    with pytest.raises(InvalidInput):
        RecordChange("create", "sipd.demokab.go.id", "TXT", 300, text)


@pytest.mark.parametrize("rtype", ["NS", "SOA", "MX"])
def test_zone_structure_types_cannot_even_be_planned(rtype: str) -> None:
    with pytest.raises(UnsafeChange):
        RecordChange("create", "sipd.demokab.go.id", rtype, 300, "ns1.demokab.go.id")  # type: ignore[arg-type]


def test_round_trip_through_dict_and_json_keeps_the_checksum() -> None:
    plan = DnsPlan(zone=ZONE, changes=(create_a(), create_a("x.demokab.go.id", "127.0.2.11")))
    again = DnsPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again == plan
    assert again.checksum() == plan.checksum()


def test_checksum_changes_with_any_detail() -> None:
    base = DnsPlan(zone=ZONE, changes=(create_a(), create_a("x.demokab.go.id")))
    variants = [
        DnsPlan(zone=ZONE, changes=(create_a(), create_a("y.demokab.go.id"))),
        DnsPlan(zone=ZONE, changes=(create_a("x.demokab.go.id"), create_a())),  # order
        DnsPlan(zone=ZONE, changes=(create_a(), create_a("x.demokab.go.id", "127.0.2.11"))),
        DnsPlan(zone=ZONE, changes=(create_a(),)),
    ]
    sums = {base.checksum(), *(v.checksum() for v in variants)}
    assert len(sums) == 1 + len(variants)


def test_checksum_is_stable_across_spellings_of_the_same_plan() -> None:
    one = DnsPlan(zone="DemoKab.go.id.", changes=[create_a("SIPD.demokab.go.id.")])  # type: ignore[arg-type]
    two = DnsPlan(zone=ZONE, changes=(create_a(),))
    assert one.checksum() == two.checksum()
    assert len(one.checksum()) == 64


def test_from_dict_revalidates() -> None:
    data = DnsPlan(zone=ZONE, changes=(create_a(),)).to_dict()
    data["changes"][0]["value"] = "127.0.2.12\nevil"
    with pytest.raises(InvalidInput):
        DnsPlan.from_dict(data)
    del data["changes"][0]["value"]
    with pytest.raises(InvalidInput):
        DnsPlan.from_dict(data)


def test_guard_accepts_an_ordinary_create() -> None:
    guard_plan(DnsPlan(zone=ZONE, changes=(create_a(),)), owned=nothing_owned)


@pytest.mark.parametrize(
    "change",
    [
        create_a(name=ZONE),  # apex
        create_a(name="sipd.otherkab.go.id"),  # outside the zone
        create_a(name="evildemokab.go.id"),  # suffix match without the dot
        RecordChange("update", "www.demokab.go.id", "A", 300, "127.0.2.12", "127.0.2.11"),
        RecordChange("delete", "www.demokab.go.id", "A", 300, "127.0.2.11"),
    ],
)
def test_guard_refuses_unsafe_changes(change: RecordChange) -> None:
    with pytest.raises(UnsafeChange) as caught:
        guard_plan(DnsPlan(zone=ZONE, changes=(change,)), owned=nothing_owned)
    assert " / " in caught.value.message


def test_guard_allows_update_and_delete_of_our_own_records() -> None:
    plan = DnsPlan(
        zone=ZONE,
        changes=(
            RecordChange("update", "sipd.demokab.go.id", "A", 300, "127.0.2.12", "127.0.2.11"),
            RecordChange("delete", "old.demokab.go.id", "A", 300, "127.0.2.11"),
        ),
    )
    guard_plan(plan, owned=everything_owned)


def test_guard_refuses_two_changes_to_one_rrset_and_cname_beside_data() -> None:
    twice = DnsPlan(zone=ZONE, changes=(create_a(), create_a(value="127.0.2.11")))
    cname = RecordChange("create", "sipd.demokab.go.id", "CNAME", 300, "www.demokab.go.id")
    mixed = DnsPlan(zone=ZONE, changes=(create_a(), cname))
    for plan in (twice, mixed):
        with pytest.raises(UnsafeChange):
            guard_plan(plan, owned=everything_owned)


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True),
            st.ip_addresses(v=4).map(str),
            st.integers(min_value=1, max_value=86400),
        ),
        max_size=5,
    )
)
def test_checksum_survives_serialisation(items: list[tuple[str, str, int]]) -> None:
    changes = tuple(
        RecordChange("create", f"{label}.{ZONE}", "A", ttl, ip) for label, ip, ttl in items
    )
    plan = DnsPlan(zone=ZONE, changes=changes)
    assert DnsPlan.from_dict(json.loads(json.dumps(plan.to_dict()))).checksum() == plan.checksum()
