"""Integrations: connect, masked reads, encryption at rest, validation, disconnect rules."""

from __future__ import annotations

import pytest

from app.db.models import Integration


async def test_exotel_is_not_connected_until_put(client):
    answer = await client.get("/integrations/telephony/exotel")
    assert answer.status == 200
    assert answer.body["is_connected"] is False and answer.body["api_token"] is None
    providers = await client.get("/integrations/telephony")
    assert {p["provider"]: p["is_connected"] for p in providers.body["providers"]} == {
        "exotel": False,
        "simulator": True,
    }


async def test_exotel_put_masks_and_encrypts(client, other_client, exotel_body):
    answer = await client.put("/integrations/telephony/exotel", json=exotel_body)
    assert answer.status == 200, answer.body
    body = answer.body
    assert body["is_connected"] is True and body["provider"] == "exotel"
    assert body["api_token"] == "••••••••9abc" and body["api_key"] == "••••••••wxyz"
    assert body["account_sid"] == exotel_body["account_sid"] and body["phone_number"] == "+15550010000"
    assert body["connected_at"]
    read = await client.get("/integrations/telephony/exotel")
    assert read.body == body
    row = await Integration.get(organisation_id=client.organisation_id, provider="exotel")
    assert exotel_body["api_token"] not in row.credentials and exotel_body["api_key"] not in row.credentials
    account = await client.server.platform.integrations.exotel_account(client.organisation_id)
    assert account.api_token == exotel_body["api_token"]
    providers = await client.get("/integrations/telephony")
    assert {p["provider"]: p["is_connected"] for p in providers.body["providers"]} == {
        "exotel": True,
        "simulator": False,
    }
    assert (await other_client.get("/integrations/telephony/exotel")).body["is_connected"] is False


@pytest.mark.parametrize(
    "field,value,detail",
    [
        ("phone_number", "5550010000", "phone_number must be in E.164 format"),
        ("phone_number", "+1555", "phone_number must be in E.164 format"),
        ("subdomain", "ftp://api.exotel.com", "subdomain must be a host name"),
        ("subdomain", "api.exotel.com/v1/Accounts", "subdomain must be a host name"),
        ("subdomain", "bad host", "subdomain must be a host name"),
        ("account_sid", "a;b", "account_sid may only contain"),
        ("api_token", "", "api_token must not be empty"),
        ("api_key", "has space", "api_key must not contain whitespace"),
    ],
)
async def test_exotel_put_rejects_bad_fields_and_changes_nothing(client, exotel_body, field, value, detail):
    assert (await client.put("/integrations/telephony/exotel", json=exotel_body)).status == 200
    before = await client.get("/integrations/telephony/exotel")
    answer = await client.put(
        "/integrations/telephony/exotel",
        json={
            **exotel_body,
            field: value,
            "api_token": exotel_body["api_token"] if field != "api_token" else value,
            "account_sid": value if field == "account_sid" else "new_sid",
        },
    )
    assert answer.status == 400
    assert answer.body["detail"].startswith(detail)
    assert (await client.get("/integrations/telephony/exotel")).body == before.body


async def test_exotel_subdomain_may_carry_scheme_and_port(client, exotel_body):
    answer = await client.put(
        "/integrations/telephony/exotel", json={**exotel_body, "subdomain": "http://127.0.0.1:8123"}
    )
    assert answer.status == 200, answer.body
    assert answer.body["subdomain"] == "http://127.0.0.1:8123"
    account = await client.server.platform.integrations.exotel_account(client.organisation_id)
    assert account.base_url == "http://127.0.0.1:8123"


async def test_exotel_put_missing_field_is_400(client, exotel_body):
    del exotel_body["api_token"]
    answer = await client.put("/integrations/telephony/exotel", json=exotel_body)
    assert answer.status == 400 and "api_token" in answer.body["detail"]
    assert (await client.get("/integrations/telephony/exotel")).body["is_connected"] is False


async def test_exotel_delete_disconnects(client, exotel_body):
    await client.put("/integrations/telephony/exotel", json=exotel_body)
    answer = await client.delete("/integrations/telephony/exotel")
    assert answer.status == 200 and answer.body["is_connected"] is False
    assert not await Integration.exists(organisation_id=client.organisation_id)


class _Running:
    async def has_running(self, organisation_id: str) -> bool:
        return True


async def test_exotel_delete_while_campaign_runs_is_409(client, exotel_body):
    await client.put("/integrations/telephony/exotel", json=exotel_body)
    service = client.server.platform.integrations
    saved, service.campaigns = service.campaigns, _Running()
    try:
        answer = await client.delete("/integrations/telephony/exotel")
    finally:
        service.campaigns = saved
    assert answer.status == 409
    assert "stop it" in answer.body["detail"]
    assert (await client.get("/integrations/telephony/exotel")).body["is_connected"] is True


async def test_sarvam_roundtrip(client):
    answer = await client.put("/integrations/voice/sarvam", json={"api_key": "sk_sarvam_secret_1234"})
    assert answer.status == 200, answer.body
    assert answer.body == {
        "provider": "sarvam",
        "api_key": "••••••••1234",
        "is_connected": True,
        "connected_at": answer.body["connected_at"],
        "streaming": None,
    }
    account = await client.server.platform.integrations.sarvam_account(client.organisation_id)
    assert (account.api_key, account.streaming) == ("sk_sarvam_secret_1234", None)
    bad = await client.put("/integrations/voice/sarvam", json={"api_key": 5})
    assert bad.status == 400
    assert (await client.get("/integrations/voice/sarvam")).body["api_key"] == "••••••••1234"
    gone = await client.delete("/integrations/voice/sarvam")
    assert gone.status == 200 and gone.body["is_connected"] is False and gone.body["api_key"] is None


async def test_an_organisation_chooses_sarvam_streaming_on_its_integration(client):
    """An extension of the spec's body: `streaming` picks Sarvam's WebSockets over REST for its calls."""
    answer = await client.put(
        "/integrations/voice/sarvam", json={"api_key": "sk_sarvam_secret_1234", "streaming": True}
    )
    assert answer.status == 200 and answer.body["streaming"] is True
    bad = await client.put("/integrations/voice/sarvam", json={"api_key": "sk_other_key_9999", "streaming": "yes"})
    assert bad.status == 400 and "streaming" in bad.body["detail"]
    unchanged = (await client.get("/integrations/voice/sarvam")).body
    assert (unchanged["api_key"], unchanged["streaming"]) == ("••••••••1234", True)

    from app.voice.providers.sarvam_ws_stt import SarvamStreamingSTT
    from app.voice.providers.selection import ProviderSelector
    from tests.voice.conftest import create_flow

    flow = await create_flow(client, "outbound")
    context = await client.server.platform.voice.resolver.outbound({"flow_id": flow["uuid"]}, "+919812345678", None)
    assert (context.sarvam_api_key, context.sarvam_streaming) == ("sk_sarvam_secret_1234", True)
    assert isinstance(ProviderSelector(client.server.settings).stt(context), SarvamStreamingSTT)
    await client.put("/integrations/voice/sarvam", json={"api_key": "sk_sarvam_secret_1234", "streaming": False})
    context = await client.server.platform.voice.resolver.outbound({"flow_id": flow["uuid"]}, "+919812345678", None)
    assert not isinstance(ProviderSelector(client.server.settings).stt(context), SarvamStreamingSTT)


async def test_apps_by_category(client):
    everything = await client.get("/integrations/apps")
    assert [app["provider"] for app in everything.body["apps"]] == ["exotel", "sarvam"]
    voice = await client.get("/integrations/apps", params={"category": "voice"})
    assert [app["provider"] for app in voice.body["apps"]] == ["sarvam"]
    assert (await client.get("/integrations/apps", params={"category": "crm"})).body["apps"] == []
    bad = await client.get("/integrations/apps", params={"category": "nope"})
    assert bad.status == 400 and bad.body["detail"].startswith("category must be one of")


async def test_integrations_need_auth(anonymous):
    assert (await anonymous.get("/integrations/telephony/exotel")).status == 401
    assert (await anonymous.put("/integrations/voice/sarvam", json={"api_key": "x"})).status == 401
