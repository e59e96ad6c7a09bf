"""Customers, as the spec tells them: create, get, partial update, and the 409s on phones, through both doors."""

from __future__ import annotations

import re

from tests.customers.conftest import CUSTOMER_KEYS, phone, stored_customers


async def test_create_answers_201_with_the_documented_shape(door, jordan):
    created = await door.call("POST", "/customers", json=jordan)
    assert created.status == 201, created.body
    body = created.body
    assert set(body) == CUSTOMER_KEYS
    assert re.fullmatch(r"cst_[0-9a-f]{12}", body["uuid"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["created_at"])
    assert {k: body[k] for k in jordan} == jordan
    assert (body["total_calls"], body["inbound_calls"], body["outbound_calls"], body["last_contact"]) == (0, 0, 0, None)


async def test_only_name_and_phone_are_required(door):
    created = await door.call("POST", "/customers", json={"name": "Asha", "phone": phone(1)})
    assert created.status == 201
    assert (created.body["tags"], created.body["metadata"], created.body["email"]) == ([], {}, None)


async def test_get_returns_the_customer(door, jordan):
    created = (await door.call("POST", "/customers", json=jordan)).body
    fetched = await door.call("GET", f"/customers/{created['uuid']}")
    assert fetched.status == 200
    assert fetched.body == created


async def test_get_unknown_customer_is_404(door):
    missing = await door.call("GET", "/customers/cst_000000000000")
    assert missing.status == 404
    assert missing.body == {"detail": "Customer not found"}


async def test_another_organisations_customer_is_404(door, other_client, jordan):
    theirs = (await other_client.post("/customers", json=jordan)).body
    assert (await door.call("GET", f"/customers/{theirs['uuid']}")).status == 404
    assert (await door.call("PATCH", f"/customers/{theirs['uuid']}", json={"name": "Mine"})).status == 404
    untouched = await other_client.get(f"/customers/{theirs['uuid']}")
    assert untouched.body["name"] == "Jordan Ellis"


async def test_the_same_phone_in_another_organisation_is_fine(door, other_client, jordan):
    assert (await other_client.post("/customers", json=jordan)).status == 201
    assert (await door.call("POST", "/customers", json=jordan)).status == 201


async def test_a_known_phone_is_409_and_writes_nothing(door, client, jordan):
    first = (await door.call("POST", "/customers", json=jordan)).body
    again = await door.call("POST", "/customers", json={**jordan, "name": "Someone Else"})
    assert again.status == 409
    assert again.body == {"detail": "A customer with this phone already exists"}
    assert (await door.call("GET", f"/customers/{first['uuid']}")).body["name"] == "Jordan Ellis"
    assert await stored_customers(client.organisation_id) == 1


async def test_overwrite_upserts_and_merges_metadata(door, client, jordan):
    first = (await door.call("POST", "/customers", json=jordan)).body
    again = await door.call(
        "POST",
        "/customers",
        json={
            "name": "Jordan E.",
            "phone": jordan["phone"],
            "metadata": {"cart_value": 920, "zip_code": "94107"},
            "overwrite": True,
        },
    )
    assert again.status == 201
    assert again.body["uuid"] == first["uuid"]
    assert again.body["name"] == "Jordan E."
    assert again.body["metadata"] == {**jordan["metadata"], "cart_value": 920, "zip_code": "94107"}
    assert again.body["tags"] == jordan["tags"]
    assert await stored_customers(client.organisation_id) == 1


async def test_patch_changes_only_what_is_sent_and_merges_metadata(door, jordan):
    created = (await door.call("POST", "/customers", json=jordan)).body
    patched = await door.call(
        "PATCH",
        f"/customers/{created['uuid']}",
        json={
            "tags": ["Region:West", "Segment:Lapsed", "Priority:High"],
            "metadata": {"cart_value": 920},
        },
    )
    assert patched.status == 200
    assert patched.body["tags"] == ["Region:West", "Segment:Lapsed", "Priority:High"]
    assert patched.body["metadata"] == {**jordan["metadata"], "cart_value": 920}
    unchanged = {k: v for k, v in patched.body.items() if k not in ("tags", "metadata")}
    assert unchanged == {k: v for k, v in created.items() if k not in ("tags", "metadata")}


async def test_patch_to_another_customers_phone_is_409(door, jordan):
    first = (await door.call("POST", "/customers", json=jordan)).body
    await door.call("POST", "/customers", json={"name": "Asha", "phone": phone(2)})
    clash = await door.call("PATCH", f"/customers/{first['uuid']}", json={"phone": phone(2)})
    assert clash.status == 409
    assert (await door.call("GET", f"/customers/{first['uuid']}")).body["phone"] == jordan["phone"]


async def test_patch_may_keep_its_own_phone_or_move_to_a_free_one(door, jordan):
    first = (await door.call("POST", "/customers", json=jordan)).body
    assert (await door.call("PATCH", f"/customers/{first['uuid']}", json={"phone": jordan["phone"]})).status == 200
    moved = await door.call("PATCH", f"/customers/{first['uuid']}", json={"phone": phone(3)})
    assert moved.status == 200 and moved.body["phone"] == phone(3)


async def test_unicode_names_are_kept_and_searchable(door):
    names = ["Zoë Ångström", "अनन्या शर्मा", "李小龙", "ÉLODIE Dupont"]
    for index, name in enumerate(names):
        created = await door.call("POST", "/customers", json={"name": name, "phone": phone(10 + index)})
        assert created.status == 201 and created.body["name"] == name
    for term, expected in (
        ("ångström", "Zoë Ångström"),
        ("शर्मा", "अनन्या शर्मा"),
        ("小龙", "李小龙"),
        ("élodie", "ÉLODIE Dupont"),
    ):
        found = await door.call("GET", "/customers", params={"search": term})
        assert [c["name"] for c in found.body["customers"]] == [expected], term
