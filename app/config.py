"""Settings, read once from `VOICEAI_*` environment variables and passed down.

Nothing below `create_app` reads the environment: code receives a `Settings`.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.auth.firebase import GOOGLE_CERTS_URL


def parse_flag(value: str, name: str) -> bool:
    """on/off switches from the environment; anything else is refused by name, never silently read as off."""
    lowered = value.strip().lower()
    if lowered in {"on", "true", "1", "yes"}:
        return True
    if lowered in {"off", "false", "0", "no"}:
        return False
    raise ValueError(f"{name} must be 'on' or 'off', not {value!r}")


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    lowered = value.strip().lower()
    if lowered not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return lowered


def _positive(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:
        raise ValueError(f"{name} must be a number of seconds above 0, not {value!r}")
    return number


def _count(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{name} must be a whole number above 0, not {value!r}")
    return number


def _niceness(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 19:
        raise ValueError(f"{name} must be a whole number from 0 to 19, not {value!r}")
    return number


def _networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())


# Provider endpoints and keys (read by app/voice/providers/selection.py), e.g. VOICEAI_LLM_API_KEY.
PROVIDER_KEY_PREFIXES = ("VOICEAI_LLM_", "VOICEAI_SARVAM_", "VOICEAI_ELEVENLABS_")


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://voiceai.db"
    redis_url: str | None = None
    secret_key: str | None = None
    data_dir: Path = Path(".voiceai")
    public_url: str = "http://127.0.0.1:8000"
    listen_url: str | None = None  # where this process serves (set by `voiceai serve`), for itself
    rate_limits: bool = True
    default_rate_limit: str = "100/minute"
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    firebase_project_id: str | None = None
    firebase_certs_url: str = GOOGLE_CERTS_URL
    max_body_bytes: int = 1024 * 1024
    graphql_max_depth: int = 10
    graphql_max_tokens: int = 2000
    log_level: str = "INFO"
    blob_dir: Path | None = None  # platform recordings; default data_dir/blobs
    recording_spool_dir: Path | None = None  # raw audio of calls in progress; default data_dir/spool/recordings
    recording_spool_stale_minutes: float = 30.0  # a spool unwritten this long is an orphan: stored or removed
    allow_http_webhooks: bool = False
    allow_private_webhooks: bool = False
    webhook_worker: bool = False  # from_env turns it on; embedded/test apps opt in
    webhook_timeout_seconds: float = 10.0
    webhook_backoff_seconds: float = 2.0  # retry n waits backoff * 2**(n-1)
    webhook_poll_seconds: float = 1.0
    nextneural_url: str | None = None  # voice server that clones speakers; None = local TTS stands in
    tts_first_byte_seconds: float = 2.0  # a remote TTS silent this long on a sentence: espeak-ng speaks it
    telephony: str = "auto"  # auto (Exotel when connected, else simulator), simulator, exotel
    exotel_flow_url: str | None = None  # the Exotel flow (voicebot applet) outbound calls connect to
    exotel_socket_auth: str = "basic"  # /ws/exotel: basic (KEY:TOKEN of an account) or none (IP allow-list)
    dialer: bool = False  # the campaign scheduler; from_env turns it on
    dialer_poll_seconds: float = 1.0
    dialer_calls_per_second: float = 1.0  # pace per flow; flow config dialer.calls_per_second overrides
    dialer_flow_concurrency: int = 5  # calls in progress per flow
    dialer_org_concurrency: int = 20  # calls in progress per organisation
    dialer_dedup_hours: float = 24.0  # customers dialled this recently are not queued again
    dialer_max_attempts: int = 3  # per customer; no-answer and busy are retried
    dialer_retry_minutes: float = 30.0
    dialer_stale_minutes: float = 90.0  # a dialled call never reported as ended is given up
    dialer_reconcile_minutes: float = 10.0  # an open outbound call this quiet is looked up at the carrier
    dialer_reconcile_seconds: float = 60.0  # how often reconciliation runs (and re-asks about one call)
    simulator_seed: int = 7  # the simulated carrier's customers: same seed, same run
    simulator_realtime: float = 1.0  # 0.5 plays the simulated calls at twice real speed
    leases: bool = False  # instance lease + orphaned-call sweep; from_env turns it on
    lease_seconds: float = 15.0  # a lease not renewed this long lapses: its calls are ended
    stt_workers: int = 0  # pocketsphinx worker processes the platform owns; 0 = a shared
    # pool started on first use (from_env: one per core)
    stt_worker_nice: int = 0  # their niceness (0-19): higher yields the cores to the server
    stt_decoders: int = 2  # streaming decoders each worker loads at start (~100 MB each)
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        get = env.get
        return cls(
            database_url=get("VOICEAI_DATABASE_URL", cls.database_url),
            redis_url=get("VOICEAI_REDIS_URL") or None,
            secret_key=get("VOICEAI_SECRET_KEY") or None,
            data_dir=Path(get("VOICEAI_DATA_DIR", str(cls.data_dir))),
            public_url=get("VOICEAI_PUBLIC_URL", cls.public_url).rstrip("/"),
            rate_limits=parse_flag(get("VOICEAI_RATE_LIMITS", "on"), "VOICEAI_RATE_LIMITS"),
            trusted_proxies=_networks(get("VOICEAI_TRUSTED_PROXIES", "")),
            firebase_project_id=get("VOICEAI_FIREBASE_PROJECT_ID") or None,
            firebase_certs_url=get("VOICEAI_FIREBASE_CERTS_URL", GOOGLE_CERTS_URL),
            max_body_bytes=int(get("VOICEAI_MAX_BODY_BYTES", str(cls.max_body_bytes))),
            log_level=get("VOICEAI_LOG_LEVEL", cls.log_level).upper(),
            extra={name: value for name, value in env.items() if name.startswith(PROVIDER_KEY_PREFIXES) and value},
            nextneural_url=(get("VOICEAI_NEXTNEURAL_URL") or "").rstrip("/") or None,
            tts_first_byte_seconds=_positive(
                get("VOICEAI_TTS_FIRST_BYTE_SECONDS", "2"), "VOICEAI_TTS_FIRST_BYTE_SECONDS"
            ),
            blob_dir=Path(blob_dir) if (blob_dir := get("VOICEAI_BLOB_DIR")) else None,
            recording_spool_dir=(Path(spool_dir) if (spool_dir := get("VOICEAI_RECORDING_SPOOL_DIR")) else None),
            recording_spool_stale_minutes=float(get("VOICEAI_RECORDING_SPOOL_STALE_MINUTES", "30")),
            allow_http_webhooks=parse_flag(get("VOICEAI_ALLOW_HTTP_WEBHOOKS", "off"), "VOICEAI_ALLOW_HTTP_WEBHOOKS"),
            allow_private_webhooks=parse_flag(
                get("VOICEAI_ALLOW_PRIVATE_WEBHOOKS", "off"), "VOICEAI_ALLOW_PRIVATE_WEBHOOKS"
            ),
            webhook_worker=parse_flag(get("VOICEAI_WEBHOOK_WORKER", "on"), "VOICEAI_WEBHOOK_WORKER"),
            webhook_timeout_seconds=float(get("VOICEAI_WEBHOOK_TIMEOUT_SECONDS", "10")),
            webhook_backoff_seconds=float(get("VOICEAI_WEBHOOK_BACKOFF_SECONDS", "2")),
            webhook_poll_seconds=float(get("VOICEAI_WEBHOOK_POLL_SECONDS", "1")),
            telephony=_choice(get("VOICEAI_TELEPHONY", "auto"), "VOICEAI_TELEPHONY", ("auto", "simulator", "exotel")),
            exotel_flow_url=get("VOICEAI_EXOTEL_FLOW_URL") or None,
            exotel_socket_auth=_choice(
                get("VOICEAI_EXOTEL_SOCKET_AUTH", "basic"), "VOICEAI_EXOTEL_SOCKET_AUTH", ("basic", "none")
            ),
            dialer=parse_flag(get("VOICEAI_DIALER", "on"), "VOICEAI_DIALER"),
            dialer_poll_seconds=float(get("VOICEAI_DIALER_POLL_SECONDS", "1")),
            dialer_calls_per_second=float(get("VOICEAI_DIALER_CALLS_PER_SECOND", "1")),
            dialer_flow_concurrency=int(get("VOICEAI_DIALER_FLOW_CONCURRENCY", "5")),
            dialer_org_concurrency=int(get("VOICEAI_DIALER_ORG_CONCURRENCY", "20")),
            dialer_dedup_hours=float(get("VOICEAI_DIALER_DEDUP_HOURS", "24")),
            dialer_max_attempts=int(get("VOICEAI_DIALER_MAX_ATTEMPTS", "3")),
            dialer_retry_minutes=float(get("VOICEAI_DIALER_RETRY_MINUTES", "30")),
            dialer_stale_minutes=float(get("VOICEAI_DIALER_STALE_MINUTES", "90")),
            dialer_reconcile_minutes=float(get("VOICEAI_DIALER_RECONCILE_MINUTES", "10")),
            dialer_reconcile_seconds=float(get("VOICEAI_DIALER_RECONCILE_SECONDS", "60")),
            simulator_seed=int(get("VOICEAI_SIMULATOR_SEED", "7")),
            simulator_realtime=float(get("VOICEAI_SIMULATOR_REALTIME", "1")),
            leases=parse_flag(get("VOICEAI_LEASES", "on"), "VOICEAI_LEASES"),
            lease_seconds=_positive(get("VOICEAI_LEASE_SECONDS", "15"), "VOICEAI_LEASE_SECONDS"),
            stt_workers=_count(get("VOICEAI_STT_WORKERS", str(os.cpu_count() or 1)), "VOICEAI_STT_WORKERS"),
            stt_worker_nice=_niceness(get("VOICEAI_STT_WORKER_NICE", "0"), "VOICEAI_STT_WORKER_NICE"),
            stt_decoders=_count(get("VOICEAI_STT_DECODERS", "2"), "VOICEAI_STT_DECODERS"),
        )

    def blob_root(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    def recording_spool_root(self) -> Path:
        return self.recording_spool_dir or self.data_dir / "spool" / "recordings"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def resolved_secret_key(self) -> str:
        """The key that encrypts stored credentials; in development it is generated once into data_dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        from cryptography.fernet import Fernet

        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key().decode()
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(key)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # first writer wins when two processes start together
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return path.read_text().strip()
