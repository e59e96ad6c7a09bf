"""Who may open `/ws/exotel`: the handshake's `Authorization: Basic base64(KEY:TOKEN)` (Exotel sends it when
the applet URL is `wss://KEY:TOKEN@host/...`) must be the API key and token of a connected Exotel account.

- mode `basic` (the default, `VOICEAI_EXOTEL_SOCKET_AUTH`): once any organisation has connected Exotel, a
  socket without credentials, or with credentials of no connected account, is refused. Before that nothing
  can be compared, so sockets are open (a wrong header is still refused). The simulated carrier presents
  its own credentials (`simulator`, its secret account SID) unless `VOICEAI_TELEPHONY=exotel`.
- mode `none`: the deployment relies on Exotel's IP allow-listing instead; nothing is checked here.

A granted socket carries the account SIDs its credentials belong to; the stream's `start.account_sid` must
be one of them, so one account's credentials cannot open another account's calls.

The voicebot applet's dynamic URL (`GET /webhooks/exotel/stream`) is answered without authentication, so
it must not carry the account's API token: it carries a per-call credential instead, the call id as user and
an HMAC of it under the server's secret key as password (`call_socket_password`). That opens one stream, and
only for that call (`start.custom_parameters.call_id` must match).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from app.integrations.service import IntegrationService
    from app.voice.door import VoiceDoor

SIMULATOR_KEY = "simulator"
MODES = ("basic", "none")


@dataclass(frozen=True)
class SocketCredential:
    api_key: str
    api_token: str
    account_sid: str


CALL_USER_PREFIX = "cal_"


@dataclass(frozen=True)
class SocketAccess:
    allowed: bool
    account_sids: frozenset[str] | None = None  # None: any account (no credentials were checked)
    call_id: str | None = None  # a per-call credential opens only that call's stream

    def admits(self, account_sid: str | None) -> bool:
        return self.account_sids is None or (account_sid or "") in self.account_sids

    def admits_call(self, call_id: object) -> bool:
        return self.call_id is None or (isinstance(call_id, str) and hmac.compare_digest(call_id, self.call_id))


def call_socket_password(secret_key: str, call_id: str) -> str:
    mac = hmac.new(secret_key.encode(), f"exotel-socket:{call_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


OPEN = SocketAccess(True)
REFUSED = SocketAccess(False)


class ExotelSocketAuth(Protocol):
    async def check(self, authorization: str | None) -> SocketAccess:
        """Decides on the handshake's Authorization header, before anything of the call exists."""


class OpenSocket:
    """IP allow-listing (mode `none`), tests and embedded runtimes: every socket may start a stream."""

    async def check(self, authorization: str | None) -> SocketAccess:
        return OPEN


class CredentialSource(Protocol):
    async def exotel_credentials(self) -> list[SocketCredential]:
        """The API key, token and account SID of every connected Exotel account."""


class IntegrationCredentials:
    """Reads the connected Exotel accounts through the integrations service (credentials stay sealed at rest).

    Every handshake needs the list, and reading it decrypts every account, so it is kept for `ttl_seconds`
    (monotonic clock). A connect or disconnect through this process's service (its `exotel_version`) drops it
    at once; one made on another instance is seen within the TTL.
    """

    def __init__(
        self, integrations: IntegrationService, ttl_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._integrations = integrations
        self._ttl_seconds = ttl_seconds
        self._clock = clock
        self._cached: tuple[float, int, list[SocketCredential]] | None = None  # (expires, version, accounts)

    def _version(self) -> int:
        return self._integrations.exotel_version

    async def exotel_credentials(self) -> list[SocketCredential]:
        version, now = self._version(), self._clock()
        if self._cached is not None:
            expires, cached_version, credentials = self._cached
            if now < expires and cached_version == version:
                return credentials
        credentials = await self._load()
        self._cached = (now + self._ttl_seconds, version, credentials)  # the version read began under
        return credentials

    async def _load(self) -> list[SocketCredential]:
        return [
            SocketCredential(account.api_key, account.api_token, account.account_sid)
            for account in await self._integrations.connected_exotel_accounts()
        ]


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(key, token) from `Basic base64(key:token)`; None when absent or not Basic."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, colon, token = decoded.partition(":")
    return (key, token) if colon else None


def _digest(key: str, token: str) -> bytes:
    """Fixed-length digests, so comparing them takes the same time whatever the lengths."""
    return hashlib.sha256(f"{len(key)}:{key}:{token}".encode()).digest()


class BasicSocketAuth:
    def __init__(
        self, credentials: CredentialSource, simulator: SocketCredential | None = None, secret_key: str | None = None
    ) -> None:
        self._credentials = credentials
        self._simulator = simulator
        self._secret_key = secret_key

    async def check(self, authorization: str | None) -> SocketAccess:
        presented = basic_credentials(authorization)
        if presented is not None and presented[0].startswith(CALL_USER_PREFIX):
            return self._call_access(*presented)
        connected = await self._credentials.exotel_credentials()
        known = [*connected, *([self._simulator] if self._simulator is not None else [])]
        if presented is None:
            return REFUSED if connected or authorization else OPEN
        return self._match(_digest(*presented), known)

    def _call_access(self, call_id: str, password: str) -> SocketAccess:
        if not self._secret_key:
            return REFUSED
        expected = call_socket_password(self._secret_key, call_id)
        if not hmac.compare_digest(password.encode(), expected.encode()):
            return REFUSED
        return SocketAccess(True, None, call_id)

    @staticmethod
    def _match(presented: bytes, known: Iterable[SocketCredential]) -> SocketAccess:
        """Constant time per credential, and every credential is compared (no early exit)."""
        sids = set()
        for credential in known:
            if hmac.compare_digest(presented, _digest(credential.api_key, credential.api_token)):
                sids.add(credential.account_sid)
        return SocketAccess(True, frozenset(sids)) if sids else REFUSED


def socket_auth_for(door: VoiceDoor) -> ExotelSocketAuth:
    """The platform's socket check from its settings: mode, telephony and the simulator's account SID."""
    settings = door.settings
    if settings.exotel_socket_auth == "none":
        return OpenSocket()
    simulator = None
    if settings.telephony != "exotel":
        simulator = SocketCredential(SIMULATOR_KEY, door.simulator_account_sid, door.simulator_account_sid)
    return BasicSocketAuth(IntegrationCredentials(door.integrations), simulator, settings.resolved_secret_key())
