"""Voice Models: create, list, get, stream the reference, delete; one organisation cannot see another's."""

from __future__ import annotations

from tests.models.conftest import Uploads, mp3, stored, wav

SPEAKER_KEYS = {
    "name",
    "language",
    "description",
    "deployed",
    "voice_sample_uuid",
    "created_at",
    "reference_duration_seconds",
    "training_status",
}


async def test_a_speaker_is_created_from_wav_reference_audio(uploads, client):
    answer = await uploads.create_speaker("aria-custom", "en-US", wav(12), description="Custom US English sales voice")
    assert answer.status == 201, answer.body
    assert answer.body == {
        "name": "aria-custom",
        "language": "en-US",
        "status": "created",
        "message": "Speaker created. Upload dataset samples and deploy to use in flows.",
    }
    speakers, samples, files = await stored(client)
    assert (speakers, samples, len(files)) == (1, 0, 1) and files[0].endswith("/reference.wav")


async def test_mp3_reference_audio_is_decoded_and_measured(uploads, client):
    answer = await uploads.create_speaker("aria-mp3", "hi-IN", mp3(15), filename="aria.mp3")
    assert answer.status == 201, answer.body
    got = (await client.get("/models/speakers/aria-mp3")).body
    assert got["language"] == "hi-IN" and 14.9 <= got["reference_duration_seconds"] <= 15.1
    assert (await stored(client))[2][0].endswith("/reference.mp3")


async def test_list_and_get_show_the_documented_fields(door, rest_uploads):
    await rest_uploads.create_speaker("aria-custom", "en-US", wav(12), description="Sales voice")
    await rest_uploads.create_speaker("kabir-2", "hi-IN", wav(20))
    listed = await door.call("GET", "/models/speakers")
    assert listed.status == 200
    assert [s["name"] for s in listed.body] == ["aria-custom", "kabir-2"]
    assert set(listed.body[0]) == SPEAKER_KEYS
    one = await door.call("GET", "/models/speakers/aria-custom")
    assert one.body["description"] == "Sales voice" and one.body["deployed"] is False
    assert one.body["voice_sample_uuid"] is None and one.body["reference_duration_seconds"] == 12.0
    assert one.body["training_status"] == "none"


async def test_the_reference_audio_streams_back_byte_for_byte(rest_uploads, client):
    audio = wav(11)
    await rest_uploads.create_speaker("aria-custom", "en-US", audio)
    async with client.http.get(
        client.server.url("/api/voice/models/speakers/aria-custom/reference"), headers=client.headers()
    ) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "audio/wav"
        assert int(answer.headers["Content-Length"]) == len(audio)
        assert await answer.read() == audio
    twin = await client.graphql('{ speakerReference(name: "aria-custom") { contentType sizeBytes url } }')
    assert twin["data"]["speakerReference"]["sizeBytes"] == len(audio)
    assert twin["data"]["speakerReference"]["url"].endswith("/api/voice/models/speakers/aria-custom/reference")


async def test_delete_removes_the_speaker_its_dataset_and_its_files(door, rest_uploads, client):
    await rest_uploads.create_speaker("aria-custom", "en-US", wav(12))
    await rest_uploads.add_sample("aria-custom", wav(6), "Hi, good morning!")
    assert await stored(client) != (0, 0, [])
    deleted = await door.call("DELETE", "/models/speakers/aria-custom")
    assert deleted.status == 200 and deleted.body == {"name": "aria-custom", "deleted": True}
    assert await stored(client) == (0, 0, [])
    assert (await door.call("GET", "/models/speakers/aria-custom")).status == 404
    assert (await door.call("DELETE", "/models/speakers/aria-custom")).status == 404


async def test_a_duplicate_name_is_409_and_stores_nothing_more(uploads, client, rest_uploads):
    await rest_uploads.create_speaker("aria-custom", "en-US", wav(12))
    before = await stored(client)
    answer = await uploads.create_speaker("aria-custom", "hi-IN", wav(14))
    assert answer.status == 409
    assert answer.body == {"detail": "a speaker named 'aria-custom' already exists"}
    assert await stored(client) == before


async def test_the_same_name_in_another_organisation_is_fine(rest_uploads, other_client):
    assert (await rest_uploads.create_speaker("aria-custom")).status == 201
    assert (await Uploads("rest", other_client).create_speaker("aria-custom")).status == 201


async def test_another_organisations_speaker_is_404_on_every_route(speaker, other_client):
    for method, path in [
        ("GET", "/models/speakers/aria-custom"),
        ("DELETE", "/models/speakers/aria-custom"),
        ("GET", "/models/speakers/aria-custom/reference"),
        ("GET", "/models/speakers/aria-custom/dataset"),
        ("DELETE", "/models/speakers/aria-custom/dataset"),
        ("POST", "/models/speakers/aria-custom/deploy"),
        ("DELETE", "/models/speakers/aria-custom/deploy"),
    ]:
        answer = await other_client.request(method, path)
        assert answer.status == 404, (method, path, answer.body)
        assert answer.body == {"detail": "Speaker not found"}
    sample = await Uploads("rest", other_client).add_sample("aria-custom")
    assert sample.status == 404
    assert (await other_client.get("/models/speakers")).body == []


async def test_speaker_routes_need_credentials(anonymous):
    assert (await anonymous.get("/models/speakers")).status == 401
    assert (await Uploads("rest", anonymous).create_speaker()).status == 401
    assert (await anonymous.get("/models/speakers/aria-custom/reference")).status == 401


async def test_create_shares_a_5_per_minute_budget_across_doors(client):
    rest, graphql = Uploads("rest", client), Uploads("graphql", client)
    for n in range(3):
        assert (await rest.create_speaker(f"voice-{n}")).status == 201
    for n in range(3, 5):
        assert (await graphql.create_speaker(f"voice-{n}")).status == 201
    limited = await rest.create_speaker("voice-5")
    assert limited.status == 429 and limited.body == {"detail": "Rate limit exceeded: 5/minute"}
    assert (await graphql.create_speaker("voice-6")).status == 429


async def test_openapi_describes_the_uploads_and_the_audio_stream(anonymous):
    paths = (await anonymous.get("/openapi.json")).body["paths"]
    create = paths["/models/speakers"]["post"]
    form = create["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["name", "language", "reference_audio"]
    assert form["properties"]["reference_audio"] == {"type": "string", "format": "binary"}
    assert create["x-rate-limit"] == "5/minute"
    sample = paths["/models/speakers/{name}/dataset/sample"]["post"]
    assert sample["x-rate-limit"] == "30/minute"
    assert sample["requestBody"]["content"]["multipart/form-data"]["schema"]["required"] == ["audio", "transcript"]
    stream = paths["/models/speakers/{name}/reference"]["get"]
    assert "requestBody" not in stream
    assert set(stream["responses"]["200"]["content"]) == {"audio/wav", "audio/mpeg"}
    assert paths["/models/speakers/{name}/deploy"]["post"]["x-rate-limit"] == "5/minute"
