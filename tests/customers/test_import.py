"""POST /customers/import: multipart .csv or .json, upserted by phone in batches; a broken file writes nothing."""

from __future__ import annotations

import json

import aiohttp

from app.db.models import Customer
from tests.customers.conftest import phone, stored_customers

HEADER = "name,phone,email,tags,preferred_language,metadata\n"
JORDAN_ROW = 'Jordan Ellis,+14155550192,jordan@example.com,"Region:West,Segment:Lapsed",en,"{""cart_value"":850}"\n'


async def upload(client, filename: str, content: bytes | str, content_type: str = "text/csv"):
    form = aiohttp.FormData()
    form.add_field(
        "file", content.encode() if isinstance(content, str) else content, filename=filename, content_type=content_type
    )
    return await client.post("/customers/import", data=form)


async def test_csv_in_the_documented_format_is_imported(client):
    answer = await upload(client, "leads.csv", HEADER + JORDAN_ROW + f"Asha,{phone(1)},,,hi,\n")
    assert answer.status == 200, answer.body
    assert answer.body == {"imported": 2, "updated": 0, "skipped": 0, "errors": []}
    jordan = await Customer.get(organisation_id=client.organisation_id, phone="+14155550192")
    assert jordan.tags == ["Region:West", "Segment:Lapsed"] and jordan.metadata == {"cart_value": 850}
    assert jordan.email == "jordan@example.com" and jordan.preferred_language == "en"


async def test_import_upserts_by_phone_and_merges_metadata(client):
    await client.post("/customers", json={"name": "Old", "phone": "+14155550192", "metadata": {"zip": "94107"}})
    answer = await upload(client, "leads.csv", HEADER + JORDAN_ROW)
    assert answer.body == {"imported": 0, "updated": 1, "skipped": 0, "errors": []}
    jordan = await Customer.get(organisation_id=client.organisation_id, phone="+14155550192")
    assert jordan.name == "Jordan Ellis" and jordan.metadata == {"zip": "94107", "cart_value": 850}


async def test_bad_rows_are_skipped_and_reported_by_line(client):
    content = (
        HEADER
        + JORDAN_ROW
        + "Bad Phone,12345,,,,\n"
        + "\n"
        + f"Bad Meta,{phone(2)},,,,{{not json}}\n"
        + f"Short,{phone(3)}\n"
        + "Repeat,+14155550192,,,,\n"
        + f"Fine,{phone(4)},,,,\n"
    )
    answer = await upload(client, "leads.csv", content)
    assert answer.status == 200
    assert (answer.body["imported"], answer.body["updated"], answer.body["skipped"]) == (2, 0, 5)
    assert [(e["row"], e["reason"]) for e in answer.body["errors"]] == [
        (3, "phone must be in E.164 format"),
        (5, "metadata must be a JSON object"),
        (6, "row has 2 fields, the header has 6"),
        (7, "phone repeats row 2, which was used"),
    ]
    assert await stored_customers(client.organisation_id) == 2


async def test_json_in_the_documented_format_is_imported(client):
    records = [
        {"name": "Jordan Ellis", "phone": "+14155550192", "tags": ["Region:West"], "metadata": {"cart_value": 850}},
        {"name": "Bad", "phone": "nope"},
        "not an object",
    ]
    answer = await upload(client, "leads.json", json.dumps(records), "application/json")
    assert answer.status == 200
    assert (answer.body["imported"], answer.body["skipped"]) == (1, 2)
    assert [(e["row"], e["reason"]) for e in answer.body["errors"]] == [
        (1, "phone must be in E.164 format"),
        (2, "record must be an object"),
    ]


async def test_a_large_json_array_streams_across_buffer_boundaries(client):
    records = [
        {"name": f"Lead {n} " + "x" * 100, "phone": phone(n), "metadata": {"n": n, "pad": "y" * 50}}
        for n in range(2500)
    ]
    answer = await upload(client, "leads.json", json.dumps(records, indent=1), "application/json")
    assert answer.body == {"imported": 2500, "updated": 0, "skipped": 0, "errors": []}


async def test_a_csv_with_unicode_and_a_bom_imports(client):
    content = "\ufeff" + HEADER + f"Zoë Ångström,{phone(1)},,,,\n李小龙,{phone(2)},,,,\n"
    answer = await upload(client, "leads.csv", content)
    assert answer.body["imported"] == 2
    assert (await Customer.get(organisation_id=client.organisation_id, phone=phone(2))).name == "李小龙"


async def test_broken_files_are_400_and_write_nothing(client):
    many_good_rows = "".join(f"Lead {n},{phone(n)},,,,\n" for n in range(1500))
    cases = [
        ("leads.txt", HEADER + JORDAN_ROW, "file must be a .csv or .json file"),
        ("leads.csv", b"name,phone\n\xff\xfe bad bytes,+14155550192\n", "file: the file must be UTF-8 encoded"),
        ("leads.csv", "nom,telephone\nJordan,+14155550192\n", "file: unknown CSV column 'nom'"),
        ("leads.csv", "name,email\nJordan,j@example.com\n", "file: the CSV header must name each column once"),
        ("leads.csv", "", "file: the CSV file is empty or has no header row"),
        (
            "leads.csv",
            HEADER + many_good_rows + 'Broken "quote,+14155550192\n' + f'"Unbalanced,{phone(9999)},,,,\n',
            "file: malformed CSV at line",
        ),
        ("leads.json", '{"name": "not an array"}', "file: a JSON import must be an array of customer objects"),
        ("leads.json", '[{"name": "A", "phone": "+14155550192"}, {"name": ', "file: invalid JSON at item 1"),
    ]
    for filename, content, detail in cases:
        answer = await upload(client, filename, content)
        assert answer.status == 400, (filename, content[:40], answer.body)
        assert answer.body["detail"].startswith(detail), answer.body
        assert await stored_customers(client.organisation_id) == 0, detail
        await client.server.platform.rate_limiter.reset()


async def test_import_needs_a_multipart_file_field(client):
    not_multipart = await client.post("/customers/import", json={"file": "x"})
    assert not_multipart.status == 400
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("other", "value")
    no_file = await client.post("/customers/import", data=form)
    assert no_file.status == 400 and no_file.body == {"detail": "file is required"}


async def test_import_needs_credentials(anonymous):
    answer = await upload(anonymous, "leads.csv", HEADER + JORDAN_ROW)
    assert answer.status == 401


async def test_import_shares_a_5_per_minute_budget_with_its_graphql_twin(client):
    query = "mutation($f: String!, $c: String!) { importCustomers(filename: $f, content: $c) { imported updated } }"
    for _ in range(3):
        assert (await upload(client, "leads.csv", HEADER + JORDAN_ROW)).status == 200
    for _ in range(2):
        answer = await client.graphql(query, {"f": "leads.csv", "c": HEADER + JORDAN_ROW})
        assert answer["data"]["importCustomers"] == {"imported": 0, "updated": 1}
    limited = await upload(client, "leads.csv", HEADER + JORDAN_ROW)
    assert limited.status == 429 and limited.body == {"detail": "Rate limit exceeded: 5/minute"}
    assert "Retry-After" in limited.headers


async def test_openapi_describes_the_multipart_import(anonymous):
    document = (await anonymous.get("/openapi.json")).body
    operation = document["paths"]["/customers/import"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert operation["x-rate-limit"] == "5/minute"
    assert operation["parameters"] == []
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(answer["properties"]) == {"imported", "updated", "skipped", "errors"}


async def graphql_upload(client, filename: str, content: str, **extra) -> dict:
    """The GraphQL multipart request spec: the file travels as a form part mapped onto `variables.file`."""
    query = (
        "mutation($file: Upload, $c: String, $f: String) { importCustomers(file: $file, content: $c, "
        "filename: $f) { imported updated skipped } }"
    )
    form = aiohttp.FormData()
    form.add_field("operations", json.dumps({"query": query, "variables": {"file": None, **extra}}))
    form.add_field("map", json.dumps({"0": ["variables.file"]}))
    form.add_field("0", content.encode(), filename=filename, content_type="text/csv")
    async with client.http.post(client.server.url("/api/voice/graphql"), data=form, headers=client.headers()) as answer:
        return await answer.json(content_type=None)


async def test_graphql_takes_the_file_as_a_multipart_upload_beyond_the_json_body_limit(client):
    rows = "".join(f"Lead {n},+9199{n:08d},lead{n}@example.com,Branch:North,hi,\n" for n in range(20_000))
    assert len(HEADER + rows) > 1024 * 1024  # more than a JSON request may carry
    answer = await graphql_upload(client, "leads.csv", HEADER + rows)
    assert "errors" not in answer, answer
    assert answer["data"]["importCustomers"]["imported"] == 20_000
    assert (await client.get("/customers", params={"search": "Lead 19999"})).body["total"] == 1


async def test_graphql_import_takes_either_a_file_or_text_not_both(client):
    both = await graphql_upload(client, "leads.csv", HEADER + JORDAN_ROW, c=HEADER + JORDAN_ROW, f="leads.csv")
    assert both["errors"][0]["message"] == "Send the file either as an upload in file or as text in content, not both"
    neither = await client.graphql('mutation { importCustomers(filename: "x.csv") { imported } }')
    assert neither["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    unnamed = await client.graphql(
        "mutation($c: String) { importCustomers(content: $c) { imported } }", {"c": HEADER + JORDAN_ROW}
    )
    assert unnamed["errors"][0]["message"] == "filename is required with content"
    assert (await client.get("/customers")).body["total"] == 0
