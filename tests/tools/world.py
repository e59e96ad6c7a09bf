"""An in-call tools world on real sockets: a platform server that may call loopback tools, a voice server
(`voice_routes` with the platform's reporter, tool service and tool transport), a fake workflow service, a
fake OpenAI-compatible model, and Exotel's side of the call."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from app.db.models import Call
from app.voice.audio import silence
from app.voice.flow_resolver import FlowResolver
from app.voice.providers.base import Providers
from app.voice.providers.openai_llm import OpenAICompatibleLLM
from app.voice.providers.scripted_llm import ScriptedPolicy
from app.voice.routes import voice_routes
from app.voice.runtime import VoiceRuntime
from app.voice.session_config import SessionConfig
from app.voice.vad import EndpointConfig
from tests.conftest import Client, free_port
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.tool_server import FakeToolServer
from tests.voice.conftest import QUICK_TURNS, fresh_line
from tests.voice.exotel_client import ExotelCaller
from tests.voice.fakes import ScriptedSTT, ToneTTS
from tests.voice.speech import spoken

RATE = 8000


@dataclass
class ToolsWorld:
    client: Client
    voice: str  # ws://.../api/voice
    stt: ScriptedSTT
    tools: FakeToolServer
    model: FakeOpenAI

    async def flow(
        self,
        *,
        llm: str = "scripted",
        tool_path: str = "/order",
        triggers: bool = True,
        flow_fields: dict[str, Any] | None = None,
        **tool: Any,
    ) -> dict[str, Any]:
        """An outbound flow whose agent has `order_status`, pointing at the fake workflow service."""
        client = self.client
        script = await client.post(
            "/scripts",
            json={
                "name": "Orders",
                "opening_line": "Hi, Aria from Acme here.",
                "faq": [{"question": "Do you deliver to Mumbai?", "answer": "Yes, within five days."}],
            },
        )
        agent = await client.post("/agents", json={"name": "Aria", "role": "Support"})
        config: dict[str, Any] = {"test_llm": llm}
        if triggers:
            config["tool_triggers"] = [
                {
                    "tool": "order_status",
                    "keywords": ["order"],
                    "arguments": {"order_id": "{digits}"},
                    "say": "Let me check your order.",
                    "reply": "Your order is {status}, arriving {eta}.",
                }
            ]
        flow = await client.post(
            "/flows",
            json={
                "kind": "outbound",
                "name": "Orders",
                "provider": "sarvam",
                "status": "active",
                "voice_agent_id": agent.body["uuid"],
                "script_id": script.body["uuid"],
                "config": config,
                **(flow_fields or {}),
            },
        )
        assert flow.status == 201, flow.body
        created = await client.post(
            f"/agents/{agent.body['uuid']}/tools",
            json={
                "name": "order_status",
                "description": "Status of an order by its number.",
                "parameters": {
                    "type": "object",
                    "properties": {"order_id": {"type": "string"}},
                    "required": ["order_id"],
                    "additionalProperties": False,
                },
                "url": self.tools.url + tool_path,
                **tool,
            },
        )
        assert created.status == 201, created.body
        return flow.body

    async def call(
        self,
        http: Any,
        flow: dict[str, Any],
        customer: dict[str, Any] | None = None,
    ) -> tuple[ExotelCaller, str]:
        """Dials in as Exotel (for a new customer unless given); returns the caller and the call's id once the
        greeting played."""
        if customer is None:
            customer = (await self.client.post("/customers", json={"name": "Asha", "phone": fresh_line()})).body
        known = set(await Call.filter(flow_id=flow["uuid"]).values_list("id", flat=True))
        caller = await ExotelCaller.connect(http, f"{self.voice}/ws/exotel")
        await caller.start(
            to="+918000000000",
            from_=customer["phone"],
            params={"flow_id": flow["uuid"], "customer_id": customer["uuid"]},
        )
        await caller.wait_for(lambda: caller.events("mark"))
        for _ in range(100):
            calls = set(await Call.filter(flow_id=flow["uuid"]).values_list("id", flat=True)) - known
            if calls:
                return caller, calls.pop()
            await asyncio.sleep(0.05)
        raise AssertionError("the call was never reported")

    async def say(self, caller: ExotelCaller, text: str, realtime: float = 0.5) -> None:
        self.stt.expect(text)
        await caller.play(spoken(text, RATE) + silence(RATE, 600), realtime=realtime)

    async def ended(self, call_id: str, timeout: float = 15) -> dict[str, Any]:
        """The call's outcome and end reason once it has ended (GraphQL: REST shows no end reason)."""
        for _ in range(int(timeout / 0.1)):
            answer = await self.client.graphql(
                "query($id: ID!) { call(uuid: $id) { outcome endReason endedAt "
                "callbacks { uuid dueAt note status customerUuid } } }",
                {"id": call_id},
            )
            call = answer["data"]["call"]
            if call["endedAt"]:
                return dict(call)
            await asyncio.sleep(0.1)
        raise AssertionError("the call never ended")

    async def transcript(self, call_id: str, until: str, timeout: float = 15) -> list[tuple[str, str]]:
        """The call's transcript once a turn containing `until` is in it."""
        turns: list[tuple[str, str]] = []
        for _ in range(int(timeout / 0.1)):
            call = await Call.get(id=call_id)
            turns = [(turn["speaker"], turn["text"]) for turn in call.transcript or []]
            if any(until in text for _, text in turns):
                return turns
            await asyncio.sleep(0.1)
        raise AssertionError(f"{until!r} never said: {turns}")


async def start_world(start_server: Any, http: Any) -> tuple[ToolsWorld, list[Any]]:
    from tests.conftest import new_client

    running = await start_server(allow_private_webhooks=True, allow_http_webhooks=True)
    client = await new_client(http, running, "Tools Org")
    platform = running.platform
    tools = await FakeToolServer().start()
    model = await FakeOpenAI().start()
    stt = ScriptedSTT()

    def providers(context: Any) -> Providers:
        llm: Any = (
            OpenAICompatibleLLM("sk-test", "fake-model", model.url)
            if context.flow_config.get("test_llm") == "openai"
            else ScriptedPolicy.for_call(context)
        )
        return Providers(stt=stt, tts=ToneTTS(), llm=llm)

    runtime = VoiceRuntime(
        lambda: platform.reporter,
        providers=providers,
        resolver=FlowResolver(tools=platform.tools),
        session=SessionConfig(
            endpoint=EndpointConfig(endpoint_ms=300),
            turn_taking=QUICK_TURNS,
            silence_timeout=30,
            tool_transport=platform.tool_transport,
            tool_log=platform.tool_records,
            callbacks=platform.callbacks,
        ),
    )
    app = Starlette(
        routes=[Mount("/api/voice", routes=voice_routes(platform.voice, lambda: platform.reporter, runtime))]
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    world = ToolsWorld(client, f"ws://127.0.0.1:{port}/api/voice", stt, tools, model)
    return world, [server, task]
