"""The running platform's shared parts, built once per process and handed to every door."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.agents.service import AgentService
from app.auth.authenticator import Authenticator
from app.blobs import BlobStore, LocalBlobStore
from app.calls.live import CallEventLog, LiveRegistry, build_live
from app.calls.queues import HumanQueueService
from app.calls.reporter import PlatformCallReporter
from app.calls.service import CallService
from app.config import Settings
from app.customers.importer import CustomerImporter
from app.customers.service import CustomerService
from app.dialer.callbacks import CallbackService
from app.dialer.campaigns import CampaignService
from app.dialer.scheduler import DialerScheduler
from app.events import EventBus, build_bus
from app.flows.service import FlowService
from app.instances.instance import InstanceLeaseKeeper
from app.instances.wiring import build_instance_lease
from app.integrations.accounts import IntegrationAccounts
from app.integrations.service import IntegrationService
from app.metrics import Metrics
from app.ratelimit import RateLimiter
from app.samples.service import SampleService
from app.scripts.service import ScriptService
from app.speakers.service import SpeakerService
from app.telephony.carriers import CarrierDirectory
from app.telephony.handoff import HandoffService
from app.telephony.reconcile import CallReconciler
from app.telephony.simulator import SimulatedCarrier, simulator_account_sid
from app.telephony.status import ExotelStatusService
from app.tools.invoker import HttpToolTransport
from app.tools.records import ToolRecords
from app.tools.service import ToolService
from app.voice.door import VoiceDoor
from app.voice.flow_resolver import FlowResolver
from app.voice.providers import speech_pool
from app.voice.providers.http_session import close_shared_session
from app.voice.providers.speech_pool import SpeechPool
from app.voice.spool_recovery import SpoolRecovery
from app.voice_catalog.nextneural import VoiceCloner, cloner_for
from app.webhooks.addresses import AddressPolicy
from app.webhooks.outbox import WebhookOutbox
from app.webhooks.sender import HttpWebhookSender
from app.webhooks.service import WebhookService
from app.webhooks.signing import SecretBox
from app.webhooks.worker import WebhookWorker


@dataclass
class Platform:
    settings: Settings
    bus: EventBus
    rate_limiter: RateLimiter
    authenticator: Authenticator
    metrics: Metrics
    agents: AgentService
    samples: SampleService
    customers: CustomerService
    customer_import: CustomerImporter
    flows: FlowService
    scripts: ScriptService
    blob_store: BlobStore
    voice_cloner: VoiceCloner
    speakers: SpeakerService
    live: LiveRegistry
    call_events: CallEventLog
    queues: HumanQueueService
    calls: CallService
    outbox: WebhookOutbox
    webhooks: WebhookService
    webhook_worker: WebhookWorker
    reporter: PlatformCallReporter
    integrations: IntegrationService
    campaigns: CampaignService
    carriers: CarrierDirectory
    dialer: DialerScheduler
    simulator_account_sid: str
    exotel_status: ExotelStatusService
    handoff: HandoffService
    voice: VoiceDoor  # what the voice sockets take from the platform
    spool_recovery: SpoolRecovery
    tools: ToolService
    tool_transport: HttpToolTransport
    tool_records: ToolRecords
    callbacks: CallbackService
    lease: InstanceLeaseKeeper | None = None  # None unless settings.leases (docs/scaling.md)
    speech: SpeechPool | None = None  # pocketsphinx worker processes, when settings.stt_workers says so

    @classmethod
    def build(cls, settings: Settings, *, rate_limit_prefix: str | None = None) -> Platform:
        firebase = None
        if settings.firebase_project_id:
            from app.auth.firebase import FirebaseTokenVerifier

            firebase = FirebaseTokenVerifier(settings.firebase_project_id, settings.firebase_certs_url)
        bus = build_bus(settings.redis_url)
        agents = AgentService(bus, settings.public_url)
        customers = CustomerService()
        metrics = Metrics()
        live, call_events = build_live(bus, metrics.observe_live_overflow)
        queues = HumanQueueService()
        outbox = WebhookOutbox()
        box = SecretBox(settings.resolved_secret_key())
        worker = WebhookWorker(
            outbox,
            HttpWebhookSender(settings.webhook_timeout_seconds, settings.allow_private_webhooks),
            box,
            timeout_seconds=settings.webhook_timeout_seconds,
            backoff_seconds=settings.webhook_backoff_seconds,
            poll_seconds=settings.webhook_poll_seconds,
        )
        blob_store = LocalBlobStore(settings.blob_root())
        voice_cloner = cloner_for(settings.nextneural_url)
        integrations = IntegrationService(settings.resolved_secret_key())
        simulator_sid = simulator_account_sid(settings.resolved_secret_key())
        reporter = PlatformCallReporter(bus, live, call_events, customers, outbox, settings.public_url)
        carriers = CarrierDirectory(  # the in-process simulator dials this server where it listens
            integrations,
            settings.telephony,
            settings.public_url,
            simulator=lambda: SimulatedCarrier(
                settings.listen_url or settings.public_url,
                simulator_sid,
                seed=settings.simulator_seed,
                realtime=settings.simulator_realtime,
                reporter=reporter,
            ),
        )
        campaigns = CampaignService(outbox, settings, exotel_account=carriers.uses_exotel)
        integrations.campaigns = campaigns
        exotel_status = ExotelStatusService(integrations, reporter, simulator_sid)
        reconciler = CallReconciler(carriers, exotel_status, reporter, settings)
        authenticator = Authenticator(firebase)
        tools = ToolService(
            settings.resolved_secret_key(), AddressPolicy(settings.allow_http_webhooks, settings.allow_private_webhooks)
        )
        tool_transport = HttpToolTransport(settings.allow_private_webhooks)
        tool_records = ToolRecords(call_events)
        callbacks = CallbackService()
        resolver = FlowResolver(IntegrationAccounts(integrations, settings.telephony), integrations, tools)
        platform = cls(
            settings=settings,
            bus=bus,
            rate_limiter=RateLimiter(
                enabled=settings.rate_limits,
                redis_url=settings.redis_url,
                default_limit=settings.default_rate_limit,
                key_prefix=rate_limit_prefix,
            ),
            authenticator=authenticator,
            metrics=metrics,
            agents=agents,
            samples=SampleService(settings.public_url),
            customers=customers,
            customer_import=CustomerImporter(),
            flows=FlowService(agents, campaigns),
            scripts=ScriptService(),
            blob_store=blob_store,
            voice_cloner=voice_cloner,
            speakers=SpeakerService(blob_store, voice_cloner),
            live=live,
            call_events=call_events,
            queues=queues,
            calls=CallService(bus, live, queues),
            outbox=outbox,
            webhooks=WebhookService(
                outbox, box, AddressPolicy(settings.allow_http_webhooks, settings.allow_private_webhooks)
            ),
            webhook_worker=worker,
            reporter=reporter,
            integrations=integrations,
            campaigns=campaigns,
            carriers=carriers,
            dialer=DialerScheduler(campaigns, carriers, reporter, outbox, settings, reconciler=reconciler),
            simulator_account_sid=simulator_sid,
            exotel_status=exotel_status,
            handoff=HandoffService(call_events),
            voice=VoiceDoor(
                settings=settings,
                integrations=integrations,
                resolver=resolver,
                metrics=metrics,
                blob_store=blob_store,
                authenticator=authenticator,
                simulator_account_sid=simulator_sid,
                tool_transport=tool_transport,
                tool_log=tool_records,
                callbacks=callbacks,
            ),
            spool_recovery=SpoolRecovery(
                settings.recording_spool_root(),
                blob_store,
                live,
                stale_seconds=settings.recording_spool_stale_minutes * 60,
            ),
            tools=tools,
            tool_transport=tool_transport,
            tool_records=tool_records,
            callbacks=callbacks,
            speech=(
                SpeechPool(settings.stt_workers, warm_decoders=settings.stt_decoders, nice=settings.stt_worker_nice)
                if settings.stt_workers
                else None
            ),
        )
        platform.lease = build_instance_lease(platform) if settings.leases else None
        return platform

    def scoped_dialer(
        self,
        organisations: Iterable[str],
        *,
        settings: Settings | None = None,
        campaigns: CampaignService | None = None,
        carriers: CarrierDirectory | None = None,
    ) -> DialerScheduler:
        """A dialer (with its reconciler) limited to some tenants, from this platform's parts: tests and
        benchmarks that share one database run their own."""
        organisations = list(organisations)
        settings = settings or self.settings
        carriers = carriers or self.carriers
        reconciler = CallReconciler(carriers, self.exotel_status, self.reporter, settings, organisations=organisations)
        return DialerScheduler(
            campaigns or self.campaigns,
            carriers,
            self.reporter,
            self.outbox,
            settings,
            organisations=organisations,
            reconciler=reconciler,
        )

    def start_workers(self) -> None:
        """Background tasks owned by the platform, started by the app lifespan."""
        if self.settings.webhook_worker:
            self.webhook_worker.start()
        if self.settings.dialer:
            self.dialer.start()
        self.spool_recovery.start()  # recordings a crash left in the spool
        if self.speech is not None:  # the server's decoders: warm before the first call, gone with it
            self.speech.start()
            speech_pool.install(self.speech)

    async def start_lease(self) -> None:
        """Before any other worker: calls are owned only once the lease is held (awaited by the lifespan)."""
        if self.lease is not None:
            await self.lease.start()

    async def aclose(self) -> None:
        await self.spool_recovery.aclose()
        if self.speech is not None:
            speech_pool.uninstall(self.speech)
            await self.speech.aclose()
        await self.dialer.aclose()
        await self.webhook_worker.aclose()
        await self.tool_transport.aclose()
        await self.reporter.aclose()
        await close_shared_session()
        if self.lease is not None:
            await self.lease.aclose()
        await self.authenticator.aclose()
        await self.rate_limiter.aclose()
        await self.bus.aclose()
        await self.voice_cloner.aclose()
