"""The running platform's shared parts, built once per process and handed to every door."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.authenticator import Authenticator
from app.config import Settings
from app.events import EventBus
from app.metrics import Metrics
from app.ratelimit import RateLimiter
from app.services.agents import AgentService
from app.services.customer_import import CustomerImporter
from app.services.customers import CustomerService
from app.services.flows import FlowService
from app.services.samples import SampleService
from app.services.scripts import ScriptService


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

    @classmethod
    def build(cls, settings: Settings, *, rate_limit_prefix: str | None = None) -> "Platform":
        firebase = None
        if settings.firebase_project_id:
            from app.auth.firebase import FirebaseTokenVerifier

            firebase = FirebaseTokenVerifier(settings.firebase_project_id, settings.firebase_certs_url)
        bus = EventBus()
        agents = AgentService(bus, settings.public_url)
        return cls(
            settings=settings,
            bus=bus,
            rate_limiter=RateLimiter(
                enabled=settings.rate_limits,
                redis_url=settings.redis_url,
                default_limit=settings.default_rate_limit,
                key_prefix=rate_limit_prefix,
            ),
            authenticator=Authenticator(firebase),
            metrics=Metrics(),
            agents=agents,
            samples=SampleService(settings.public_url),
            customers=CustomerService(),
            customer_import=CustomerImporter(),
            flows=FlowService(agents),
            scripts=ScriptService(),
        )

    async def aclose(self) -> None:
        await self.authenticator.aclose()
        await self.rate_limiter.aclose()
        await self.bus.aclose()
