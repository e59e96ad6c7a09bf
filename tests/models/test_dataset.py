"""Dataset samples: labelled 5–30 s clips, statistics with a documented `ready` threshold, clearing."""

from __future__ import annotations

from app.speakers.service import READY_SAMPLES, READY_SECONDS
from tests.models.conftest import mp3, stored, wav


async def test_a_sample_answers_its_measured_duration_and_transcript(uploads, speaker, client):
    answer = await uploads.add_sample(speaker, wav(8.4), "Hi, good morning! This is Aria calling from Luminary Home.")
    assert answer.status == 201, answer.body
    assert answer.body["sample_id"].startswith("smp_")
    assert answer.body["duration_seconds"] == 8.4
    assert answer.body["transcript"] == "Hi, good morning! This is Aria calling from Luminary Home."
    assert (await stored(client))[1] == 1


async def test_mp3_samples_are_accepted(uploads, speaker):
    answer = await uploads.add_sample(speaker, mp3(7), "Namaste.", filename="clip.mp3")
    assert answer.status == 201, answer.body
    assert 6.9 <= answer.body["duration_seconds"] <= 7.1


async def test_dataset_statistics_go_from_empty_to_collecting_to_ready(door, speaker, rest_uploads):
    empty = await door.call("GET", f"/models/speakers/{speaker}/dataset")
    assert empty.status == 200
    assert empty.body == {"name": speaker, "sample_count": 0, "total_duration_seconds": 0.0, "status": "empty"}
    assert (await rest_uploads.add_sample(speaker, wav(6), "One.")).status == 201
    collecting = (await door.call("GET", f"/models/speakers/{speaker}/dataset")).body
    assert collecting == {"name": speaker, "sample_count": 1, "total_duration_seconds": 6.0, "status": "collecting"}
    seconds = READY_SECONDS / READY_SAMPLES
    for n in range(READY_SAMPLES - 1):
        assert (await rest_uploads.add_sample(speaker, wav(seconds), f"Line {n}.")).status == 201
    ready = (await door.call("GET", f"/models/speakers/{speaker}/dataset")).body
    assert ready["sample_count"] == READY_SAMPLES and ready["status"] == "ready"
    assert ready["total_duration_seconds"] >= READY_SECONDS


async def test_clearing_the_dataset_removes_samples_and_files_but_keeps_the_speaker(
    door, speaker, rest_uploads, client
):
    for n in range(3):
        await rest_uploads.add_sample(speaker, wav(5 + n), f"Line {n}.")
    _, samples, files = await stored(client)
    assert samples == 3 and len(files) == 4
    cleared = await door.call("DELETE", f"/models/speakers/{speaker}/dataset")
    assert cleared.status == 200
    assert cleared.body == {"name": speaker, "sample_count": 0, "total_duration_seconds": 0.0, "status": "empty"}
    count, samples, files = await stored(client)
    assert (count, samples) == (1, 0) and len(files) == 1 and files[0].endswith("reference.wav")
    assert (await door.call("GET", f"/models/speakers/{speaker}")).status == 200
