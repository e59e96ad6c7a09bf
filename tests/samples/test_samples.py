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
        ("sarvam", "ta-IN", "Tamil")}
    speakers = {s["speaker"] for s in answer.body}
    assert {"anushka", "shubh"} <= speakers


async def test_an_unknown_provider_is_400(door):
    answer = await door.call("GET", "/samples", params={"provider": "acme"})
    assert (answer.status, answer.body) == (400, {"detail": "provider must be one of sarvam, nextneural, elevenlabs"})


async def test_an_unknown_language_is_an_empty_list(door):
    answer = await door.call("GET", "/samples", params={"language_code": "xx-XX"})
    assert (answer.status, answer.body) == (200, [])
