"""POST /customers/bulk: up to 1000 records, upsert or append, errors isolated per row, exact counts."""

from __future__ import annotations

from app.db.models import Customer
from tests.customers.conftest import phone, stored_customers


def record(n: int, **extra) -> dict:
    return {"name": f"Lead {n}", "phone": phone(n), "tags": ["Region:West"], "metadata": {"n": n}, **extra}


async def test_bulk_creates_and_updates_by_phone(door, client):
    await door.call("POST", "/customers", json={"name": "Old", "phone": phone(1), "metadata": {"keep": True}})
    answer = await door.call("POST", "/customers/bulk", json={"customers": [record(1), record(2), record(3)]})
    assert answer.status == 200
    assert answer.body == {"created": 2, "updated": 1, "errors": []}
    updated = await Customer.get(organisation_id=client.organisation_id, phone=phone(1))
    assert updated.name == "Lead 1" and updated.metadata == {"keep": True, "n": 1}
    assert await stored_customers(client.organisation_id) == 3


async def test_mode_defaults_to_upsert(door, client):
    first = await door.call("POST", "/customers/bulk", json={"customers": [record(1)], "mode": "upsert"})
    again = await door.call("POST", "/customers/bulk", json={"customers": [record(1, name="Renamed")]})
    assert (first.body["created"], again.body["updated"]) == (1, 1)


async def test_bad_rows_are_isolated_and_reported(door, client):
    answer = await door.call(
        "POST",
        "/customers/bulk",
        json={
            "customers": [
                record(1),
                {"name": "Bad", "phone": "+10000000000"},
                record(3, metadata=[1, 2]),
                {"phone": phone(4)},
                record(5, preferred_language="fr"),
                record(6),
            ]
        },
    )
    assert answer.status == 200
    body = answer.body
    assert (body["created"], body["updated"]) == (2, 0)
    assert [(e["row"], e["phone"]) for e in body["errors"]] == [
        (1, "+10000000000"),
        (2, phone(3)),
        (3, phone(4)),
        (4, phone(5)),
    ]
    reasons = [e["reason"] for e in body["errors"]]
    assert reasons[0] == "phone must be in E.164 format"
    assert reasons[1] == "metadata must be a JSON object"
    assert reasons[2] == "name is required"
    assert reasons[3].startswith("preferred_language must be one of")
    assert await stored_customers(client.organisation_id) == 2


async def test_duplicate_phones_in_one_batch_the_first_wins(door, client):
    answer = await door.call(
        "POST", "/customers/bulk", json={"customers": [record(1, name="First"), record(2), record(1, name="Second")]}
    )
    assert (answer.body["created"], answer.body["updated"]) == (2, 0)
    assert answer.body["errors"] == [{"row": 2, "phone": phone(1), "reason": "phone repeats row 0, which was used"}]
    assert (await Customer.get(organisation_id=client.organisation_id, phone=phone(1))).name == "First"


async def test_append_never_updates_a_known_phone(door, client):
    await door.call("POST", "/customers", json={"name": "Existing", "phone": phone(1)})
    answer = await door.call("POST", "/customers/bulk", json={"customers": [record(1), record(2)], "mode": "append"})
    assert answer.body == {
        "created": 1,
        "updated": 0,
        "errors": [{"row": 0, "phone": phone(1), "reason": "a customer with this phone already exists"}],
    }
    assert (await Customer.get(organisation_id=client.organisation_id, phone=phone(1))).name == "Existing"


async def test_1001_records_is_400_and_writes_nothing(door, client):
    answer = await door.call("POST", "/customers/bulk", json={"customers": [record(n) for n in range(1001)]})
    assert answer.status == 400
    assert answer.body == {"detail": "customers must have at most 1000 records"}
    assert await stored_customers(client.organisation_id) == 0


async def test_1000_records_are_written_with_tags(door, client):
    answer = await door.call("POST", "/customers/bulk", json={"customers": [record(n) for n in range(1000)]})
    assert answer.body == {"created": 1000, "updated": 0, "errors": []}
    count = await door.call("GET", "/customers/meta/count", params={"tags": ["Region:West"]})
    assert count.body == {"count": 1000}


async def test_unknown_mode_and_wrong_shapes_are_400(door, client):
    bad_mode = await door.call("POST", "/customers/bulk", json={"customers": [record(1)], "mode": "merge"})
    assert bad_mode.status == 400 and bad_mode.body == {"detail": "mode must be one of upsert, append"}
    if door.name == "rest":  # GraphQL coerces a lone object into a one-item list, by its spec
        not_list = await door.call("POST", "/customers/bulk", json={"customers": {"name": "x"}})
        assert not_list.status == 400 and not_list.body == {"detail": "customers must be an array"}
    assert await stored_customers(client.organisation_id) == 0


async def test_rest_names_the_row_of_a_wrongly_typed_field(client):
    answer = await client.post("/customers/bulk", json={"customers": [record(1), {"name": 5, "phone": phone(2)}]})
    assert answer.status == 400
    assert answer.body == {"detail": "customers[1].name must be a string"}
    assert await stored_customers(client.organisation_id) == 0


async def test_bulk_is_rate_limited_at_10_per_minute(client):
    for _ in range(10):
        assert (await client.post("/customers/bulk", json={"customers": []})).status == 200
    limited = await client.post("/customers/bulk", json={"customers": []})
    assert limited.status == 429
    assert limited.body == {"detail": "Rate limit exceeded: 10/minute"}
