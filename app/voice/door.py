"""What the voice door (the `/ws/exotel` and browser-test sockets) takes from the platform, and nothing more.

Built once by `Platform.build`; the voice package never sees the whole platform.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.authenticator import Authenticator
from app.blobs import BlobStore
from app.config import Settings
from app.integrations.service import IntegrationService
from app.metrics import Metrics
from app.tools.invoker import ToolTransport
from app.tools.records import ToolLog
from app.voice.flow_resolver import FlowResolver
from app.voice.session_config import CallbackBooking


@dataclass(frozen=True)
class VoiceDoor:
    settings: Settings
    integrations: IntegrationService  # the Exotel accounts a socket may present
    resolver: FlowResolver  # a call's flow, checked against the organisation's Exotel account
    metrics: Metrics
    blob_store: BlobStore  # where finished recordings go
    authenticator: Authenticator  # the browser test call's token
    simulator_account_sid: str  # the in-process simulated carrier's line
    tool_transport: ToolTransport | None = None  # in-call HTTP tools (issue 16)
    tool_log: ToolLog | None = None  # where their invocations are recorded
    callbacks: CallbackBooking | None = None  # where schedule_callback books
