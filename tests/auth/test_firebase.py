"""Firebase ID token verification against a fake Google cert server on a real socket."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from app.auth.firebase import FirebaseTokenVerifier
from app.errors import Unauthenticated
from tests.fakes.firebase_certs import ABSENT, FakeCertServer

PROJECT = "voiceai-test"
MAX_AGE = 600
SKEW = 60.0
REFETCH_INTERVAL = 30.0
CUSTOM_TOKEN_AUD = "https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit"


class FakeClock:
    """Wall clock the tests move by hand; shared by the minter and the verifier."""

    def __init__(self) -> None:
        self.now = 1_760_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture
async def certs(clock: FakeClock) -> AsyncIterator[FakeCertServer]:
    server = FakeCertServer(PROJECT, max_age=MAX_AGE, clock=clock)
    server.add_key("k1")
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def verifier(certs: FakeCertServer, clock: FakeClock) -> AsyncIterator[FirebaseTokenVerifier]:
    verifier = FirebaseTokenVerifier(
        PROJECT,
        certs.url,
        clock=clock,
        max_clock_skew=SKEW,
        min_refetch_interval=REFETCH_INTERVAL,
    )
    yield verifier
    await verifier.aclose()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict[str, Any], claims: dict[str, Any], hmac_key: bytes | None = None) -> str:
    """Hand-built JWT for attacks PyJWT refuses to produce; unsigned unless given an HMAC key."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = b""
    if hmac_key is not None:
        signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


# --- the happy path -------------------------------------------------------------------------


async def test_valid_token_gives_uid_email_and_claims(certs, verifier):
    identity = await verifier.verify(certs.mint("k1"))

    assert identity.uid == "uid-ada"
    assert identity.email == "ada@example.com"
    assert identity.claims["firebase"]["sign_in_provider"] == "password"


async def test_token_without_email_gives_none(certs, verifier):
    identity = await verifier.verify(certs.mint("k1", email=ABSENT))

    assert identity.email is None


# --- claims that name the wrong audience or issuer --------------------------------------------


@pytest.mark.parametrize(
    "aud",
    ["another-project", "", [PROJECT, "another-project"], ABSENT],
    ids=["other", "empty", "list", "absent"],
)
async def test_token_for_another_audience_is_rejected(certs, verifier, aud):
    with pytest.raises(Unauthenticated):
        await verifier.verify(certs.mint("k1", aud=aud))


async def test_custom_token_is_not_an_id_token(certs, verifier):
    """Custom tokens are for signing in, not for calling us; only their aud tells them apart."""
    with pytest.raises(Unauthenticated):
        await verifier.verify(certs.mint("k1", aud=CUSTOM_TOKEN_AUD))


@pytest.mark.parametrize(
    "iss",
    [
        "https://securetoken.google.com/another-project",
        "https://accounts.google.com",
        f"http://securetoken.google.com/{PROJECT}",
        ABSENT,
    ],
    ids=["other-project", "accounts", "http", "absent"],
)
async def test_token_from_another_issuer_is_rejected(certs, verifier, iss):
    with pytest.raises(Unauthenticated):
        await verifier.verify(certs.mint("k1", iss=iss))


# --- sub is the uid ----------------------------------------------------------------------------


@pytest.mark.parametrize("sub", [ABSENT, "", "u" * 129, 42, None], ids=["absent", "empty", "129", "int", "null"])
async def test_token_without_a_usable_sub_is_rejected(certs, verifier, sub):
    with pytest.raises(Unauthenticated):
        await verifier.verify(certs.mint("k1", sub=sub))


async def test_sub_of_128_chars_is_a_valid_uid(certs, verifier):
    identity = await verifier.verify(certs.mint("k1", sub="u" * 128))

    assert identity.uid == "u" * 128


# --- time, judged by the injected clock -------------------------------------------------------


async def test_expired_token_is_rejected(certs, verifier, clock):
    token = certs.mint("k1")

    clock.advance(3600 + SKEW + 1)

    with pytest.raises(Unauthenticated):
        await verifier.verify(token)


async def test_token_expired_within_skew_is_accepted(certs, verifier, clock):
    token = certs.mint("k1")

    clock.advance(3600 + SKEW - 1)

    assert (await verifier.verify(token)).uid == "uid-ada"


async def test_token_issued_in_the_future_beyond_skew_is_rejected(certs, verifier, clock):
    with pytest.raises(Unauthenticated):
        await verifier.verify(certs.mint("k1", iat=int(clock()) + int(SKEW) + 5))


async def test_token_issued_slightly_in_the_future_is_accepted(certs, verifier, clock):
    identity = await verifier.verify(certs.mint("k1", iat=int(clock()) + int(SKEW) - 5))

    assert identity.uid == "uid-ada"


@pytest.mark.parametrize("auth_time_offset", [None, SKEW + 5])
async def test_missing_or_future_auth_time_is_rejected(certs, verifier, clock, auth_time_offset):
    auth_time = ABSENT if auth_time_offset is None else int(clock() + auth_time_offset)

    with pytest.raises(Unauthenticated):
        await verifier.verify(certs.mint("k1", auth_time=auth_time))


@pytest.mark.parametrize("claim", ["exp", "iat", "auth_time"])
async def test_time_claims_must_be_numbers(certs, verifier, clock, claim):
    with pytest.raises(Unauthenticated):
        await verifier.verify(certs.mint("k1", **{claim: str(int(clock()))}))


# --- signatures and algorithms ----------------------------------------------------------------


async def test_unsigned_alg_none_token_is_rejected_without_fetching(certs, verifier):
    token = _forge({"alg": "none", "kid": "k1", "typ": "JWT"}, certs.claims())

    with pytest.raises(Unauthenticated):
        await verifier.verify(token)
    assert certs.requests == 0


async def test_hs256_token_keyed_with_the_public_cert_is_rejected(certs, verifier):
    """The classic confusion attack: HMAC with the published PEM as the shared secret."""
    header = {"alg": "HS256", "kid": "k1", "typ": "JWT"}
    token = _forge(header, certs.claims(), hmac_key=certs.pem("k1").encode())

    with pytest.raises(Unauthenticated):
        await verifier.verify(token)
    assert certs.requests == 0


async def test_tampered_payload_fails_the_signature(certs, verifier):
    header, _, signature = certs.mint("k1").split(".")
    promoted = _b64(json.dumps(certs.claims(sub="uid-admin")).encode())

    with pytest.raises(Unauthenticated):
        await verifier.verify(f"{header}.{promoted}.{signature}")


@pytest.mark.parametrize(
    "header",
    [{"alg": "RS256", "typ": "JWT"}, {"alg": "RS256", "kid": ""}, {"alg": "RS256", "kid": 1}],
)
async def test_header_without_a_usable_kid_is_rejected_without_fetching(certs, verifier, header):
    with pytest.raises(Unauthenticated):
        await verifier.verify(_forge(header, certs.claims()))
    assert certs.requests == 0


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not-a-token",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        "..",
        "ü.ü.ü",
        "\ud800.a.b",
        f"{_b64(b'[1, 2]')}.{_b64(b'{}')}.",
        f"{_b64(b'{not json')}.{_b64(b'{}')}.",
        "x" * 10_000,
    ],
)
async def test_garbage_is_unauthenticated_and_costs_no_fetch(certs, verifier, garbage):
    with pytest.raises(Unauthenticated):
        await verifier.verify(garbage)
    assert certs.requests == 0


async def test_rejection_hides_the_reason_but_logs_it(certs, verifier, caplog):
    caplog.set_level(logging.DEBUG, logger="app.auth.firebase")

    with pytest.raises(Unauthenticated) as rejected:
        await verifier.verify(certs.mint("k1", aud="another-project"))

    assert rejected.value.detail == "Invalid or expired token"
    assert "audience" in caplog.text.lower()


# --- fetching and caching Google's certificates ------------------------------------------------


async def test_certs_are_cached_for_their_max_age(certs, verifier, clock):
    await verifier.verify(certs.mint("k1"))
    await verifier.verify(certs.mint("k1"))
    assert certs.requests == 1

    clock.advance(MAX_AGE - 1)
    await verifier.verify(certs.mint("k1"))
    assert certs.requests == 1

    clock.advance(1)
    await verifier.verify(certs.mint("k1"))
    assert certs.requests == 2


async def test_unknown_kid_refetches_once_and_accepts_the_rotated_key(certs, verifier, clock):
    await verifier.verify(certs.mint("k1"))
    certs.add_key("k2")  # Google rotates
    clock.advance(REFETCH_INTERVAL)

    identity = await verifier.verify(certs.mint("k2"))

    assert identity.uid == "uid-ada"
    assert certs.requests == 2


async def test_flood_of_unknown_kids_refetches_at_most_once_per_interval(certs, verifier, clock):
    certs.add_key("forged", published=False)
    await verifier.verify(certs.mint("k1"))
    clock.advance(REFETCH_INTERVAL)

    for _ in range(20):
        with pytest.raises(Unauthenticated):
            await verifier.verify(certs.mint("forged"))
    assert certs.requests == 2

    clock.advance(REFETCH_INTERVAL)
    with pytest.raises(Unauthenticated):
        await verifier.verify(certs.mint("forged"))
    assert certs.requests == 3

    await verifier.verify(certs.mint("k1"))  # genuine tokens were never affected
    assert certs.requests == 3


async def test_concurrent_verifies_share_one_fetch(certs, verifier):
    certs.delay = 0.2

    identities = await asyncio.gather(*(verifier.verify(certs.mint("k1")) for _ in range(10)))

    assert {identity.uid for identity in identities} == {"uid-ada"}
    assert certs.requests == 1


async def test_failing_cert_server_rejects_then_backs_off_then_recovers(certs, verifier, clock):
    certs.fail = True
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            await verifier.verify(certs.mint("k1"))
    assert certs.requests == 1

    certs.fail = False
    clock.advance(REFETCH_INTERVAL)
    assert (await verifier.verify(certs.mint("k1"))).uid == "uid-ada"
    assert certs.requests == 2


async def test_fresh_cache_outlives_a_cert_server_outage_until_max_age(certs, verifier, clock):
    await verifier.verify(certs.mint("k1"))
    certs.fail = True

    clock.advance(MAX_AGE - 1)
    assert (await verifier.verify(certs.mint("k1"))).uid == "uid-ada"

    clock.advance(1)
    with pytest.raises(Unauthenticated):
        await verifier.verify(certs.mint("k1"))
    assert certs.requests == 2


@pytest.mark.parametrize("body", [b"not json", b"[]", b"{}", b'{"k1": 7}', b'{"k1": "not a certificate"}'])
async def test_broken_cert_answer_rejects_tokens(certs, verifier, body):
    certs.broken_body = body

    with pytest.raises(Unauthenticated):
        await verifier.verify(certs.mint("k1"))


async def test_unreachable_cert_server_rejects_tokens(certs, clock):
    with socket.socket() as probe:  # a port nobody listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    verifier = FirebaseTokenVerifier(PROJECT, f"http://127.0.0.1:{port}/certs", clock=clock)
    try:
        with pytest.raises(Unauthenticated):
            await verifier.verify(certs.mint("k1"))
    finally:
        await verifier.aclose()
