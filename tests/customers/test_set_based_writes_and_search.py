"""The set-based bulk writes and the search page query keep the ORM's semantics exactly.

Bulk: fields a record leaves out keep their stored value, metadata is merged key by key, tags replace
tags (links included), the counts are exact, a failure half-way writes nothing, and a phone a
concurrent writer took is retried as an update. Search: the id-first query answers exactly what the
plain ORM query answers, for every combination of filters and pages.
"""

from __future__ import annotations

import re

import pytest
from tortoise.exceptions import IntegrityError

from app.customers import bulk as customer_bulk
from app.customers import service as customer_service
from app.customers import tags as customer_tags
from app.customers.bulk import Row, write_batch
from app.customers.fields import customer_fields
from app.customers.service import CustomerFilter, CustomerService, _filters, _page_from_matches
from app.db.models import Customer, CustomerTag
from app.db.sql import fetch
from tests.customers.conftest import phone, stored_customers


def row(number: int, **record) -> Row:
    return Row(number, customer_fields({"name": f"Lead {number}", "phone": phone(number), **record}, partial=False))


async def links_of(customer_id: str) -> set[str]:
    return set(await CustomerTag.filter(customer_id=customer_id).values_list("tag__name", flat=True))


async def test_upsert_keeps_what_a_record_leaves_out_and_merges_metadata(client):
    organisation = client.organisation_id
    first = await write_batch(
        organisation,
        [
            row(
                1,
                email="a@example.com",
                preferred_language="hi",
                tags=["Region:West", "VIP"],
                metadata={"keep": 1, "change": "old"},
            ),
            row(2, tags=["Region:South"]),
        ],
        "upsert",
    )
    assert (first.created, first.updated, first.errors) == (2, 0, [])
    second = await write_batch(
        organisation,
        [
            row(1, name="Renamed", metadata={"change": "new", "gone": None}),  # no email, language or tags sent
            row(2, tags=["Region:North"], email=None, preferred_language=None),
            row(3),
        ],
        "upsert",
    )
    assert (second.created, second.updated, second.errors) == (1, 2, [])

    one = await Customer.get(organisation_id=organisation, phone=phone(1))
    assert (one.name, one.search_name) == ("Renamed", "renamed")
    assert (one.email, one.preferred_language) == ("a@example.com", "hi")
    assert one.metadata == {"keep": 1, "change": "new", "gone": None}
    assert one.tags == ["Region:West", "VIP"] and await links_of(one.id) == {"Region:West", "VIP"}
    assert one.updated_at > one.created_at

    two = await Customer.get(organisation_id=organisation, phone=phone(2))
    assert (two.email, two.preferred_language, two.tags) == (None, None, ["Region:North"])
    assert await links_of(two.id) == {"Region:North"}

    three = await Customer.get(organisation_id=organisation, phone=phone(3))
    assert (three.tags, three.metadata, three.email, three.total_calls) == ([], {}, None, 0)
    assert await links_of(three.id) == set()
    assert await customer_tags.count_with_any(organisation, ["Region:South"]) == 0
    assert await customer_tags.count_with_any(organisation, ["Region:North", "Region:West"]) == 2


async def test_append_reports_known_phones_and_writes_the_rest(client):
    organisation = client.organisation_id
    await write_batch(organisation, [row(1, metadata={"a": 1})], "upsert")
    result = await write_batch(organisation, [row(1, metadata={"b": 2}), row(2)], "append")
    assert (result.created, result.updated) == (1, 0)
    assert [(error.row, error.phone) for error in result.errors] == [(1, phone(1))]
    assert (await Customer.get(organisation_id=organisation, phone=phone(1))).metadata == {"a": 1}


async def test_a_failure_half_way_writes_nothing(client, monkeypatch):
    organisation = client.organisation_id
    await write_batch(organisation, [row(1, name="Before", metadata={"a": 1})], "upsert")

    async def broken_link(*args, **kwargs):
        raise RuntimeError("link table unavailable")

    monkeypatch.setattr(customer_tags, "link", broken_link)
    with pytest.raises(RuntimeError):
        await write_batch(organisation, [row(1, name="After", metadata={"b": 2}), row(2), row(3)], "upsert")
    assert await stored_customers(organisation) == 1
    kept = await Customer.get(organisation_id=organisation, phone=phone(1))
    assert (kept.name, kept.metadata) == ("Before", {"a": 1})


async def test_a_phone_taken_between_the_read_and_the_insert_is_retried_as_an_update(client, monkeypatch):
    organisation = client.organisation_id
    await write_batch(organisation, [row(1, metadata={"a": 1}, tags=["Old"])], "upsert")
    real_known = customer_bulk._known
    calls = []

    async def stale_known(*args, **kwargs):  # the first read misses the row a concurrent writer just committed
        calls.append(1)
        return {} if len(calls) == 1 else await real_known(*args, **kwargs)

    monkeypatch.setattr(customer_bulk, "_known", stale_known)
    result = await write_batch(organisation, [row(1, metadata={"b": 2}, tags=["New"]), row(2)], "upsert")
    assert len(calls) == 2
    assert (result.created, result.updated, result.errors) == (1, 1, [])
    assert await stored_customers(organisation) == 2
    one = await Customer.get(organisation_id=organisation, phone=phone(1))
    assert one.metadata == {"a": 1, "b": 2} and await links_of(one.id) == {"New"}


async def test_the_insert_itself_raises_integrity_error_on_a_taken_phone(client, monkeypatch):
    organisation = client.organisation_id
    await write_batch(organisation, [row(1)], "upsert")

    async def nothing_known(*args, **kwargs):
        return {}

    monkeypatch.setattr(customer_bulk, "_known", nothing_known)
    with pytest.raises(IntegrityError):
        await write_batch(organisation, [row(1)], "upsert")
    assert await stored_customers(organisation) == 1


async def test_bulk_rows_and_orm_rows_sort_together_newest_first(door, client):
    await door.call("POST", "/customers", json={"name": "Oldest", "phone": phone(100)})
    await door.call(
        "POST", "/customers/bulk", json={"customers": [{"name": f"Bulk {n}", "phone": phone(n)} for n in range(3)]}
    )
    await door.call("POST", "/customers", json={"name": "Newest", "phone": phone(200)})
    listed = await door.call("GET", "/customers")
    names = [customer["name"] for customer in listed.body["customers"]]
    assert names[0] == "Newest" and names[-1] == "Oldest" and sorted(names[1:4]) == ["Bulk 0", "Bulk 1", "Bulk 2"]
    stored = await Customer.filter(organisation_id=client.organisation_id).order_by("created_at")
    assert stored[0].name == "Oldest"
    assert all(customer.created_at.tzinfo is not None for customer in stored)
    raw = await fetch("SELECT name, created_at FROM customers WHERE organisation_id = ?", [client.organisation_id])
    if isinstance(raw[0]["created_at"], str):  # SQLite keeps text: bulk rows must be written in the ORM's format
        shape = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00")
        assert all(shape.fullmatch(record["created_at"]) for record in raw), raw


SPECS = [
    CustomerFilter(search="lead"),
    CustomerFilter(search="LEAD 1"),
    CustomerFilter(search="9800000"),
    CustomerFilter(search="+91980000001"),
    CustomerFilter(search="lead", tags=("Even",)),
    CustomerFilter(search="lead", tags=("Even", "Three")),
    CustomerFilter(search="lead", min_inbound_calls=0, max_inbound_calls=0, min_outbound_calls=0),
    CustomerFilter(search="lead", max_outbound_calls=5),
    CustomerFilter(search="%"),
    CustomerFilter(search="_"),
    CustomerFilter(search="nobody"),
]


@pytest.mark.parametrize("spec", SPECS, ids=[repr(spec) for spec in SPECS])
async def test_search_pages_answer_what_the_orm_query_answers(client, spec, monkeypatch):
    organisation = client.organisation_id
    rows = [
        row(n, tags=[tag for tag, wanted in (("Even", n % 2 == 0), ("Three", n % 3 == 0)) if wanted])
        for n in range(1, 26)
    ]
    rows.append(row(26, name="Lead_26 100%"))
    await write_batch(organisation, rows, "upsert")
    query = Customer.filter(_filters(organisation, spec))
    tag_ids = []
    if spec.tags:
        tag_ids = list((await customer_tags.tag_ids(organisation, spec.tags, create=False)).values())
        query = query.filter(id__in=customer_tags.customers_with_any(tag_ids))
    everything = [customer.id for customer in await query.order_by("-created_at", "-id")]
    for limit, offset in ((100, 0), (7, 0), (7, 7), (7, 21), (5, 30)):
        page = await _page_from_matches(organisation, spec, tag_ids, limit, offset)
        assert [customer.id for customer in page] == everything[offset : offset + limit], (limit, offset)
        for most in (0, 10_000):  # paged by walking the newest-first index, and from the matches
            monkeypatch.setattr(customer_service, "PAGE_FROM_MATCHES_MAX", most)
            listed = await CustomerService().list(organisation, spec, limit=limit, offset=offset)
            assert [customer.id for customer in listed.customers] == everything[offset : offset + limit], most
            assert listed.total == len(everything)
