"""The Exotel REST client against a fake server that checks the exact form fields and Basic auth."""

from __future__ import annotations

from app.integrations.service import ExotelAccount
from app.telephony.base import DialRequest
from app.telephony.exotel import ExotelClient

PUBLIC = "https://voice.example.com"


def _account(fake, **changes) -> ExotelAccount:
    values = dict(
        organisation_id="org_x",
        account_sid=fake.account_sid,
        api_key=fake.api_key,
        api_token=fake.api_token,
        subdomain=fake.url,
        phone_number="+918047112345",
    )
    values.update(changes)
    return ExotelAccount(**values)


REQUEST = DialRequest(
    call_id="cal_0123456789ab",
    organisation_id="org_x",
    flow_id="flw_1",
    customer_id="cst_1",
    to_number="+919812345678",
    flow_url="http://my.exotel.com/acct/exoml/start_voice/42",
    time_limit_seconds=600,
    ring_seconds=30,
)


async def test_connect_sends_the_documented_form_with_basic_auth(fake_exotel):
    client = ExotelClient(_account(fake_exotel), PUBLIC)
    try:
        result = await client.place_call(REQUEST)
    finally:
        await client.aclose()
    assert result.outcome == "queued" and result.provider_call_id and result.reason is None
    assert fake_exotel.requests == [
        [
            ("From", "+919812345678"),
            ("CallerId", "+918047112345"),
            ("Url", "http://my.exotel.com/acct/exoml/start_voice/42"),
            ("CallType", "trans"),
            ("CustomField", "cal_0123456789ab"),
            ("StatusCallback", f"{PUBLIC}/api/voice/webhooks/exotel/status?AccountSid={fake_exotel.account_sid}"),
            ("StatusCallbackEvents[0]", "terminal"),
            ("StatusCallbackEvents[1]", "answered"),
            ("Record", "true"),
            ("RecordingChannels", "dual"),
            ("TimeLimit", "600"),
            ("TimeOut", "30"),
        ]
    ]


async def test_bad_credentials_fail_with_auth_reason(fake_exotel):
    client = ExotelClient(_account(fake_exotel, api_token="wrong"), PUBLIC)
    try:
        result = await client.place_call(REQUEST)
    finally:
        await client.aclose()
    assert (result.outcome, result.reason) == ("failed", "auth_failed")
    assert fake_exotel.requests == []


async def test_rate_limit_and_bad_number_fail_with_reasons(fake_exotel):
    client = ExotelClient(_account(fake_exotel), PUBLIC)
    try:
        fake_exotel.fail_with = 429
        limited = await client.place_call(REQUEST)
        fake_exotel.fail_with = None
        bad = await client.place_call(DialRequest(**{**REQUEST.__dict__, "to_number": "98123"}))
    finally:
        await client.aclose()
    assert (limited.outcome, limited.reason) == ("failed", "rate_limited")
    assert (bad.outcome, bad.reason) == ("failed", "bad_number: Invalid From number")


async def test_unreachable_carrier_is_a_failed_outcome():
    account = ExotelAccount(
        organisation_id="org_x",
        account_sid="a",
        api_key="k",
        api_token="t",
        subdomain="http://127.0.0.1:9",
        phone_number="+918047112345",
    )
    client = ExotelClient(account, PUBLIC, timeout_seconds=2)
    try:
        result = await client.place_call(REQUEST)
    finally:
        await client.aclose()
    assert (result.outcome, result.reason) == ("failed", "carrier_unreachable")


async def test_call_details_read_the_call_back(fake_exotel):
    client = ExotelClient(_account(fake_exotel), PUBLIC)
    try:
        placed = await client.place_call(REQUEST)
        fake_exotel.finish(
            placed.provider_call_id, "completed", recording_url="https://recordings.exotel.com/a.mp3", duration=37
        )
        details = await client.call_details(placed.provider_call_id)
    finally:
        await client.aclose()
    assert (details.account_sid, details.call_sid, details.status, details.recording_url, details.duration) == (
        fake_exotel.account_sid,
        placed.provider_call_id,
        "completed",
        "https://recordings.exotel.com/a.mp3",
        37,
    )


async def test_call_details_errors_name_their_reason(fake_exotel):
    from app.telephony.base import DetailsUnavailable

    async def reason(client: ExotelClient, sid: str) -> str:
        try:
            await client.call_details(sid)
        except DetailsUnavailable as error:
            return error.reason
        raise AssertionError("no error")

    client = ExotelClient(_account(fake_exotel), PUBLIC)
    wrong = ExotelClient(_account(fake_exotel, api_token="wrong"), PUBLIC)
    account = ExotelAccount(
        organisation_id="org_x",
        account_sid="a",
        api_key="k",
        api_token="t",
        subdomain="http://127.0.0.1:9",
        phone_number="+918047112345",
    )
    unreachable = ExotelClient(account, PUBLIC, timeout_seconds=2)
    try:
        fake_exotel.place("CA-known")
        assert await reason(client, "CA-unknown") == "not_found"
        assert await reason(wrong, "CA-known") == "auth_failed"
        fake_exotel.details_fail_with = 429
        assert await reason(client, "CA-known") == "rate_limited"
        assert await reason(unreachable, "CA-known") == "carrier_unreachable"
    finally:
        for each in (client, wrong, unreachable):
            await each.aclose()
