"""GET /samples: the providers' voices, filtered by provider and language_code."""

from __future__ import annotations

SAMPLE_KEYS = {"uuid", "provider", "model", "speaker", "language_code", "language_name", "url"}


async def test_samples_cover_every_provider(door):
    answer = await door.call("GET", "/samples")
    assert answer.status == 200
    assert {sample["provider"] for sample in answer.body} == {"sarvam", "elevenlabs", "nextneural"}
    assert all(set(sample) == SAMPLE_KEYS for sample in answer.body)


async def test_filters_compose(door):
    answer = await door.call("GET", "/samples", params={"provider": "sarvam", "language_code": "ta-IN"})
    assert answer.status == 200 and answer.body
    assert {(s["provider"], s["language_code"], s["language_name"]) for s in answer.body} == {
        ("sarvam", "ta-IN", "Tamil")
    }
    speakers = {s["speaker"] for s in answer.body}
    assert {"anushka", "shubh"} <= speakers


async def test_an_unknown_provider_is_400(door):
    answer = await door.call("GET", "/samples", params={"provider": "acme"})
    assert (answer.status, answer.body) == (400, {"detail": "provider must be one of sarvam, nextneural, elevenlabs"})


async def test_an_unknown_language_is_an_empty_list(door):
    answer = await door.call("GET", "/samples", params={"language_code": "xx-XX"})
    assert (answer.status, answer.body) == (200, [])


async def test_a_sample_url_plays_a_wav_preview_in_its_language(client):
    import io
    import wave

    hindi = (await client.get("/samples", params={"provider": "sarvam", "language_code": "hi-IN"})).body[0]
    path = hindi["url"].split("/api/voice", 1)[1]
    answer = await client.http.get(client.server.url(f"/api/voice{path}?token={client.token}"))
    assert answer.status == 200 and answer.headers["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(await answer.read())) as audio:
        assert audio.getnchannels() == 1 and audio.getframerate() == 16000
        assert audio.getnframes() / 16000 > 1.0  # a spoken sentence, not silence or a stub


async def test_previews_need_credentials_and_a_known_voice(client, anonymous):
    assert (await anonymous.get("/samples/vs_000000000000/preview")).status == 401
    missing = await client.get("/samples/vs_000000000000/preview")
    assert (missing.status, missing.body) == (404, {"detail": "Voice sample not found"})
