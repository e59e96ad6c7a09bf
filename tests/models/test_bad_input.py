"""Bad uploads: each a 400 (or 409, 413) with a clear detail, and nothing stored: no row, no blob file."""

from __future__ import annotations

import asyncio

from app.speakers.service import REFERENCE_MAX_BYTES
from tests.models.conftest import stored, wav

TEXT = b"This is not audio, just a text file someone renamed.\n" * 200


async def test_bad_reference_audio_is_400_with_the_measured_duration_and_stores_nothing(uploads, client):
    cases = [
        (TEXT, "notes.wav", "reference_audio could not be decoded as WAV or MP3 audio"),
        (b"", "empty.wav", "reference_audio is empty"),
        (wav(3), "short.wav", "reference_audio must be 10–60 seconds long, it is 3.0 seconds"),
        (wav(61), "long.wav", "reference_audio must be 10–60 seconds long, it is 61.0 seconds"),
        (wav(12)[:44], "header-only.wav", "reference_audio contains no audio"),
    ]
    for audio, filename, detail in cases:
        answer = await uploads.create_speaker("aria-custom", "en-US", audio, filename=filename)
        assert answer.status == 400, (filename, answer.body)
        assert answer.body == {"detail": detail}
        assert await stored(client) == (0, 0, [])
        await client.server.platform.rate_limiter.reset()


async def test_bad_names_and_languages_are_400(uploads, client):
    cases = [
        (
            "aria custom",
            "en-US",
            "name must be lowercase letters, digits and hyphens like aria-custom, not 'aria custom'",
        ),
        ("Aria", "en-US", "name must be lowercase letters, digits and hyphens like aria-custom, not 'Aria'"),
        ("aria--x", "en-US", "name must be lowercase letters, digits and hyphens like aria-custom, not 'aria--x'"),
        ("", "en-US", "name must not be empty"),
        ("aria", "english", "language must be a BCP-47 language code like hi-IN"),
        ("aria", "fr-FR", "language must be one of"),
    ]
    for name, language, detail in cases:
        answer = await uploads.create_speaker(name, language, wav(12))
        assert answer.status == 400, (name, answer.body)
        assert answer.body["detail"].startswith(detail), answer.body
        await client.server.platform.rate_limiter.reset()
    assert await stored(client) == (0, 0, [])


async def test_rest_create_needs_every_required_part(client):
    import aiohttp

    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("name", "aria")
    form.add_field("language", "en-US")
    missing_file = await client.post("/models/speakers", data=form)
    assert missing_file.status == 400 and missing_file.body == {"detail": "reference_audio is required"}
    not_multipart = await client.post("/models/speakers", json={"name": "aria"})
    assert not_multipart.status == 400 and not_multipart.body == {"detail": "send the audio as multipart/form-data"}
    form = aiohttp.FormData()
    form.add_field("language", "en-US")
    form.add_field("reference_audio", wav(12), filename="a.wav")
    assert (await client.post("/models/speakers", data=form)).body == {"detail": "name is required"}
    assert await stored(client) == (0, 0, [])


async def test_bad_samples_are_400_and_store_nothing(uploads, speaker, client):
    before = await stored(client)
    cases = [
        (wav(6), None, "transcript is required"),
        (wav(6), "   ", "transcript must not be empty"),
        (TEXT, "Hello.", "audio could not be decoded as WAV or MP3 audio"),
        (wav(3), "Hello.", "audio must be 5–30 seconds long, it is 3.0 seconds"),
        (wav(31), "Hello.", "audio must be 5–30 seconds long, it is 31.0 seconds"),
    ]
    for audio, transcript, detail in cases:
        answer = await uploads.add_sample(speaker, audio, transcript)
        assert answer.status == 400, (detail, answer.body)
        assert answer.body == {"detail": detail}
        assert await stored(client) == before


async def _raw_post(client, path: str, headers: dict[str, str], body_chunks) -> tuple[int, str]:
    """An HTTP/1.1 request over a bare socket, so the test controls Content-Length and what is sent.

    The answer is read while the body is still being written: the server answers and closes early.
    """
    host, port = client.server.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = f"POST /api/voice{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {client.token}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"

    async def read_answer() -> bytes:
        received = b""
        try:
            while chunk := await reader.read(65536):
                received += chunk
        except ConnectionError:
            pass
        return received

    answer = asyncio.create_task(read_answer())
    try:
        writer.write(head.encode())
        for chunk in body_chunks:
            if answer.done():
                break
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass  # the server refused and closed while the body was still coming: that is the point
    response = await answer
    writer.close()
    status_line, _, rest = response.decode(errors="replace").partition("\r\n")
    return int(status_line.split()[1]), rest.rpartition("\r\n\r\n")[2]


async def test_a_2_gb_upload_is_refused_by_its_declared_size_before_it_is_read(client):
    boundary = "x" * 16
    start = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="reference_audio"; filename="big.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    status, body = await asyncio.wait_for(
        _raw_post(
            client,
            "/models/speakers",
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(2 * 1024**3),
            },
            [start, wav(12)],
        ),
        timeout=10,
    )
    assert status == 413
    assert "request body is larger than" in body
    assert await stored(client) == (0, 0, [])


async def test_a_chunked_upload_is_refused_once_it_passes_the_limit(speaker, client):
    boundary = "y" * 16
    start = (f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="big.wav"\r\n\r\n').encode()
    megabyte = b"\0" * (1024 * 1024)

    def chunked():
        for piece in (start, *[megabyte] * 12):
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        yield b"0\r\n\r\n"

    before = await stored(client)
    status, body = await asyncio.wait_for(
        _raw_post(
            client,
            f"/models/speakers/{speaker}/dataset/sample",
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Transfer-Encoding": "chunked",
            },
            chunked(),
        ),
        timeout=20,
    )
    assert status == 413 and "request body is larger than" in body
    assert await stored(client) == before


async def test_the_service_refuses_an_oversized_file_even_inside_the_body_limit(client):
    from app.errors import TooLarge

    service = client.server.platform.speakers
    try:
        await service.create(
            client.organisation_id,
            name="aria",
            language="en-US",
            description=None,
            filename="a.wav",
            audio=b"\0" * (REFERENCE_MAX_BYTES + 1),
        )
    except TooLarge as error:
        assert error.detail == f"reference_audio is larger than {REFERENCE_MAX_BYTES} bytes"
    else:
        raise AssertionError("expected TooLarge")
    assert await stored(client) == (0, 0, [])
