"""Listing customers (search, any-of tags, call-count ranges, paging) and the tag meta endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.customers.conftest import phone, record_call


async def _seed(door) -> dict[str, str]:
    people = [
        ("Jordan Ellis", phone(1), ["Region:West", "Segment:Lapsed"]),
        ("Priya Nair", phone(2), ["Region:South", "Branch:Chennai"]),
        ("Ravi Kumar", phone(3), ["Region:West", "Branch:Mumbai"]),
        ("Meera Iyer", "+14155550192", []),
    ]
    ids = {}
    for name, number, tags in people:
        ids[name] = (await door.call("POST", "/customers", json={"name": name, "phone": number, "tags": tags})).body[
            "uuid"
        ]
    return ids


async def test_list_is_newest_first_with_the_total(door):
    await _seed(door)
    listed = await door.call("GET", "/customers")
    assert listed.status == 200
    assert set(listed.body) == {"customers", "total"}
    assert [c["name"] for c in listed.body["customers"]] == ["Meera Iyer", "Ravi Kumar", "Priya Nair", "Jordan Ellis"]
    assert listed.body["total"] == 4
    assert "recent_calls" not in listed.body["customers"][0]


async def test_search_matches_name_and_phone_case_insensitively_and_partially(door):
    await _seed(door)
    for term, expected in (
        ("priya", ["Priya Nair"]),
        ("KUMAR", ["Ravi Kumar"]),
        ("ell", ["Jordan Ellis"]),
        ("+1415", ["Meera Iyer"]),
        ("98000000", ["Ravi Kumar", "Priya Nair", "Jordan Ellis"]),
        ("nobody", []),
    ):
        found = await door.call("GET", "/customers", params={"search": term})
        assert [c["name"] for c in found.body["customers"]] == expected, term
        assert found.body["total"] == len(expected)


async def test_search_treats_like_wildcards_literally(door):
    await _seed(door)
    found = await door.call("GET", "/customers", params={"search": "%"})
    assert found.body == {"customers": [], "total": 0}


async def test_tags_match_any_of_the_given_tags(door):
    await _seed(door)
    west = await door.call("GET", "/customers", params={"tags": ["Region:West"]})
    assert [c["name"] for c in west.body["customers"]] == ["Ravi Kumar", "Jordan Ellis"]
    either = await door.call("GET", "/customers", params={"tags": ["Segment:Lapsed", "Branch:Chennai"]})
    assert {c["name"] for c in either.body["customers"]} == {"Jordan Ellis", "Priya Nair"}
    assert either.body["total"] == 2
    both_filters = await door.call("GET", "/customers", params={"tags": ["Region:West"], "search": "ravi"})
    assert [c["name"] for c in both_filters.body["customers"]] == ["Ravi Kumar"]
    none = await door.call("GET", "/customers", params={"tags": ["Region:North"]})
    assert none.body == {"customers": [], "total": 0}


async def test_limit_and_offset_page_through_with_an_unchanged_total(door):
    await _seed(door)
    first = await door.call("GET", "/customers", params={"limit": 3})
    second = await door.call("GET", "/customers", params={"limit": 3, "offset": 3})
    assert len(first.body["customers"]) == 3 and len(second.body["customers"]) == 1
    assert first.body["total"] == second.body["total"] == 4
    beyond = await door.call("GET", "/customers", params={"offset": 10})
    assert beyond.body == {"customers": [], "total": 4}


async def test_call_count_ranges_filter(door, client, server):
    ids = await _seed(door)
    for _ in range(3):
        await record_call(server, client.organisation_id, ids["Jordan Ellis"], "outbound")
    await record_call(server, client.organisation_id, ids["Priya Nair"], "inbound")
    busy = await door.call("GET", "/customers", params={"min_outbound_calls": 2})
    assert [c["name"] for c in busy.body["customers"]] == ["Jordan Ellis"]
    quiet = await door.call("GET", "/customers", params={"max_outbound_calls": 0, "min_inbound_calls": 1})
    assert [c["name"] for c in quiet.body["customers"]] == ["Priya Nair"]
    never = await door.call("GET", "/customers", params={"max_inbound_calls": 0, "max_outbound_calls": 0})
    assert {c["name"] for c in never.body["customers"]} == {"Ravi Kumar", "Meera Iyer"}


async def test_recorded_calls_maintain_the_counters(door, client, server):
    ids = await _seed(door)
    jordan = ids["Jordan Ellis"]
    earlier = datetime(2026, 5, 12, 14, 34, tzinfo=UTC)
    await record_call(server, client.organisation_id, jordan, "outbound", at=earlier)
    await record_call(server, client.organisation_id, jordan, "inbound", at=earlier - timedelta(days=1))
    await record_call(server, client.organisation_id, jordan, "test")
    body = (await door.call("GET", f"/customers/{jordan}")).body
    assert (body["total_calls"], body["inbound_calls"], body["outbound_calls"]) == (2, 1, 1)
    assert body["last_contact"] == "2026-05-12T14:34:00Z"


async def test_include_calls_attaches_recent_calls_newest_first(door, client, server):
    ids = await _seed(door)
    jordan = ids["Jordan Ellis"]
    base = datetime(2026, 5, 12, 10, tzinfo=UTC)
    old = await record_call(server, client.organisation_id, jordan, at=base, outcome="no-answer")
    new = await record_call(
        server,
        client.organisation_id,
        jordan,
        at=base + timedelta(hours=1),
        outcome="connected",
        duration=113,
        summary="Interested",
    )
    plain = await door.call("GET", f"/customers/{jordan}")
    assert "recent_calls" not in plain.body
    detailed = await door.call("GET", f"/customers/{jordan}", params={"include_calls": "true"})
    calls = detailed.body["recent_calls"]
    assert [c["uuid"] for c in calls] == [new.id, old.id]
    assert calls[0]["duration_formatted"] == "01:53" and calls[0]["customer_uuid"] == jordan
    assert calls[0]["call_type"] == "outbound" and calls[0]["summary"] == "Interested"


async def test_meta_tags_branches_and_count(door):
    await _seed(door)
    tags = await door.call("GET", "/customers/meta/tags")
    assert tags.status == 200
    assert tags.body == ["Branch:Chennai", "Branch:Mumbai", "Region:South", "Region:West", "Segment:Lapsed"]
    branches = await door.call("GET", "/customers/meta/branches")
    assert branches.body == ["Branch:Chennai", "Branch:Mumbai"]
    count = await door.call("GET", "/customers/meta/count", params={"tags": ["Region:West", "Branch:Chennai"]})
    assert count.body == {"count": 3}
    assert (await door.call("GET", "/customers/meta/count", params={"tags": ["Region:West"]})).body == {"count": 2}
    assert (await door.call("GET", "/customers/meta/count", params={"tags": ["Nope"]})).body == {"count": 0}
    assert (await door.call("GET", "/customers/meta/count")).body == {"count": 4}


async def test_a_tag_nobody_has_any_more_leaves_the_meta_list(door):
    ids = await _seed(door)
    await door.call("PATCH", f"/customers/{ids['Jordan Ellis']}", json={"tags": ["Region:West"]})
    assert "Segment:Lapsed" not in (await door.call("GET", "/customers/meta/tags")).body


async def test_meta_and_lists_see_only_the_callers_organisation(door, other_client):
    await other_client.post("/customers", json={"name": "Theirs", "phone": phone(99), "tags": ["Branch:Delhi"]})
    await _seed(door)
    assert "Branch:Delhi" not in (await door.call("GET", "/customers/meta/branches")).body
    assert (await door.call("GET", "/customers/meta/count", params={"tags": ["Branch:Delhi"]})).body == {"count": 0}
    assert (await door.call("GET", "/customers", params={"search": "Theirs"})).body["total"] == 0


async def test_graphql_lists_customers_with_recent_calls_and_a_filter_input(client, server):
    created = (await client.post("/customers", json={"name": "Asha", "phone": phone(7), "tags": ["Region:West"]})).body
    await record_call(server, client.organisation_id, created["uuid"], outcome="connected", duration=60)
    answer = await client.graphql(
        "query($f: CustomerFilterInput) { customers(filter: $f) { total customers { name recentCalls { outcome } } } }",
        {"f": {"tags": ["Region:West"], "search": "ash"}},
    )
    assert answer["data"]["customers"] == {
        "total": 1,
        "customers": [{"name": "Asha", "recentCalls": [{"outcome": "connected"}]}],
    }
