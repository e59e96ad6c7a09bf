"""The one route table of the REST contract (`../shared/spec/voice-api.md`, base path /api/voice).

Each row names the GraphQL root field it runs and how path, query and body become its arguments.
Starlette routes (shim.py) and the OpenAPI document (openapi.py) are both generated from it; rate
limits are read from the GraphQL field, so REST and GraphQL draw on one budget.
Rows with `pending` name the issue that will build them; they answer 501 until then.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

BASE_PATH = "/api/voice"
# Upload bodies: the service's file caps (app/speakers/service.py) plus room for the other form parts.
MULTIPART_OVERHEAD = 64 * 1024
REFERENCE_UPLOAD_BYTES = 25 * 1024 * 1024 + MULTIPART_OVERHEAD
SAMPLE_UPLOAD_BYTES = 10 * 1024 * 1024 + MULTIPART_OVERHEAD


class Handler(StrEnum):
    """The rows served by a Starlette handler instead of a GraphQL document (streams, uploads, carrier
    callbacks). `compat_rest.handlers.handler_endpoints` binds each to its endpoint; a test checks that every
    row's handler is bound."""

    SAMPLE_PREVIEW = "sample preview"
    CUSTOMER_IMPORT = "customer import"
    CALL_RECORDING = "call recording"
    SPEAKER_CREATE = "speaker create"
    SPEAKER_REFERENCE = "speaker reference"
    SPEAKER_SAMPLE = "speaker dataset sample"
    EXOTEL_STATUS = "exotel status"
    EXOTEL_PASSTHRU = "exotel passthru"
    EXOTEL_STREAM = "exotel stream"
    EXOTEL_CONNECT = "exotel connect"


@dataclass(frozen=True)
class RestRoute:
    method: str
    path: str
    summary: str
    field: str | None = None  # GraphQL root field (query or mutation) this runs
    path_args: Mapping[str, str] = dataclasses.field(default_factory=dict)  # {path parameter: GraphQL argument}
    body_arg: str | None = None  # GraphQL argument that receives the JSON body
    include: Mapping[str, str] = dataclasses.field(default_factory=dict)  # {result field: Boolean query parameter}
    envelope: str | None = None  # wrap a list result: {"<envelope>": [...]}
    status: int = 200
    max_body_bytes: int | None = None
    tag: str = ""
    pending: str | None = None  # not built yet: the issue that builds it
    websocket: bool = False
    extension: bool = False  # not in the spec: OpenAPI marks it `x-extension: true`
    public: bool = False  # no bearer token: the endpoint validates its caller itself
    handler: Handler | None = None  # served by this Starlette handler (compat_rest.handlers);
    # `field` is then its GraphQL twin (limit, answer schema)
    graphql_only: tuple[str, ...] = ()  # GraphQL arguments REST does not expose (e.g. `filter`)
    form: Mapping[str, str] = dataclasses.field(default_factory=dict)  # multipart handler parts:
    # {part: "file" | "text" | "optional text"}; default one file
    media_types: tuple[str, ...] = ()  # a handler that streams bytes of these types, not JSON


# REST shaping of GraphQL answer types, {GraphQL type: REST field names}. GraphQL-only fields (relations,
# GraphQL extras) are never in a REST answer; include-only ones (costly extras such as flow metrics or a
# customer's calls) are answered only by routes whose `include` gates them. Types inherit nothing here: a
# subtype (CallDetail, WebhookWithSecret) lists its parent's fields again.
_CALL_GRAPHQL_ONLY = frozenset({"status", "end_reason"})
_WEBHOOK_GRAPHQL_ONLY = frozenset({"header_names", "created_at"})
GRAPHQL_ONLY: Mapping[str, frozenset[str]] = {
    "Call": _CALL_GRAPHQL_ONLY,
    "CallDetail": _CALL_GRAPHQL_ONLY,
    "LiveCall": frozenset({"outcome", "ended_at"}),
    "Flow": frozenset({"provider", "updated_at", "voice_agent", "cost_days"}),
    "Webhook": _WEBHOOK_GRAPHQL_ONLY,
    "WebhookWithSecret": _WEBHOOK_GRAPHQL_ONLY,
    "WebhookLog": frozenset({"attempt", "error", "delivery_id"}),
}
INCLUDE_ONLY: Mapping[str, frozenset[str]] = {
    "Flow": frozenset({"metrics"}),
    "Customer": frozenset({"recent_calls"}),
}


_r = RestRoute  # the table's rows are long: a short name, still checked field by field


ROUTES: tuple[RestRoute, ...] = (
    # Voice agents and samples
    _r("GET", "/agents", "List active voice agents", field="agents", tag="Voice Agents"),
    _r(
        "GET",
        "/agents/{agent_uuid}",
        "Get a voice agent",
        field="agent",
        path_args={"agent_uuid": "uuid"},
        tag="Voice Agents",
    ),
    _r(
        "POST", "/agents", "Create a voice agent", field="createAgent", body_arg="input", status=201, tag="Voice Agents"
    ),
    _r(
        "PATCH",
        "/agents/{agent_uuid}",
        "Update a voice agent (partial)",
        field="updateAgent",
        path_args={"agent_uuid": "uuid"},
        body_arg="input",
        tag="Voice Agents",
    ),
    _r(
        "DELETE",
        "/agents/{agent_uuid}",
        "Soft-delete a voice agent",
        field="deleteAgent",
        path_args={"agent_uuid": "uuid"},
        tag="Voice Agents",
    ),
    _r("GET", "/samples", "List voice samples", field="samples", tag="Voice Agents"),
    _r(
        "GET",
        "/samples/{sample_uuid}/preview",
        "Listen to a voice (offline preview with the local TTS; ?token=)",
        handler=Handler.SAMPLE_PREVIEW,
        extension=True,
        media_types=("audio/wav",),
        tag="Voice Agents",
    ),
    # In-call tools (not in the spec: issue 16; docs/in-call-tools.md)
    *(
        row
        for owner, kind in (("agent", "Agent"), ("flow", "Flow"))
        for row in (
            _r(
                "GET",
                f"/{owner}s/{{{owner}_uuid}}/tools",
                f"List the {owner}'s in-call HTTP tools",
                field=f"{owner}Tools",
                path_args={f"{owner}_uuid": "uuid"},
                envelope="tools",
                tag="Tools",
                extension=True,
            ),
            _r(
                "POST",
                f"/{owner}s/{{{owner}_uuid}}/tools",
                f"Add an in-call HTTP tool to the {owner}",
                field=f"create{kind}Tool",
                path_args={f"{owner}_uuid": "uuid"},
                body_arg="input",
                status=201,
                tag="Tools",
                extension=True,
            ),
            _r(
                "PATCH",
                f"/{owner}s/{{{owner}_uuid}}/tools/{{tool_name}}",
                "Change a tool (partial)",
                field=f"update{kind}Tool",
                path_args={f"{owner}_uuid": "uuid", "tool_name": "name"},
                body_arg="input",
                tag="Tools",
                extension=True,
            ),
            _r(
                "DELETE",
                f"/{owner}s/{{{owner}_uuid}}/tools/{{tool_name}}",
                "Delete a tool",
                field=f"delete{kind}Tool",
                path_args={f"{owner}_uuid": "uuid", "tool_name": "name"},
                tag="Tools",
                extension=True,
            ),
        )
    ),
    _r(
        "GET",
        "/flows/{flow_uuid}/callbacks",
        "Callbacks callers asked for on the flow's campaign",
        field="flowCallbacks",
        path_args={"flow_uuid": "uuid"},
        envelope="callbacks",
        tag="Flows",
        extension=True,
    ),
    _r("GET", "/tools/secret", "The secret that signs tool requests", field="toolsSecret", tag="Tools", extension=True),
    _r(
        "POST",
        "/tools/secret/rotate",
        "Rotate the tools secret",
        field="rotateToolsSecret",
        tag="Tools",
        extension=True,
    ),
    # Flows
    _r(
        "GET",
        "/flows",
        "List flows",
        field="flows",
        envelope="flows",
        include={"metrics": "include_metrics"},
        graphql_only=("filter",),
        tag="Flows",
    ),
    _r(
        "GET",
        "/flows/{flow_uuid}",
        "Get a flow",
        field="flow",
        path_args={"flow_uuid": "uuid"},
        include={"metrics": "include_metrics"},
        tag="Flows",
    ),
    _r("POST", "/flows", "Create a flow", field="createFlow", body_arg="input", status=201, tag="Flows"),
    _r(
        "PATCH",
        "/flows/{flow_uuid}",
        "Update a flow (partial)",
        field="updateFlow",
        path_args={"flow_uuid": "uuid"},
        body_arg="input",
        tag="Flows",
    ),
    _r(
        "POST",
        "/flows/{flow_uuid}/toggle",
        "Toggle a flow between active and paused",
        field="toggleFlow",
        path_args={"flow_uuid": "uuid"},
        tag="Flows",
    ),
    _r(
        "POST",
        "/flows/{flow_uuid}/launch",
        "Launch an outbound campaign",
        field="launchFlow",
        path_args={"flow_uuid": "uuid"},
        tag="Flows",
    ),
    _r(
        "POST",
        "/flows/{flow_uuid}/stop",
        "Stop an outbound campaign",
        field="stopFlow",
        path_args={"flow_uuid": "uuid"},
        tag="Flows",
    ),
    _r(
        "DELETE",
        "/flows/{flow_uuid}",
        "Delete a flow (stops its campaign first)",
        field="deleteFlow",
        path_args={"flow_uuid": "uuid"},
        tag="Flows",
    ),
    # Scripts (not in the spec: what a flow's script_id refers to)
    _r("GET", "/scripts", "List scripts", field="scripts", tag="Scripts", extension=True),
    _r(
        "GET",
        "/scripts/{script_uuid}",
        "Get a script",
        field="script",
        path_args={"script_uuid": "uuid"},
        tag="Scripts",
        extension=True,
    ),
    _r(
        "POST",
        "/scripts",
        "Create a script",
        field="createScript",
        body_arg="input",
        status=201,
        tag="Scripts",
        extension=True,
    ),
    _r(
        "PATCH",
        "/scripts/{script_uuid}",
        "Update a script (partial)",
        field="updateScript",
        path_args={"script_uuid": "uuid"},
        body_arg="input",
        tag="Scripts",
        extension=True,
    ),
    _r(
        "DELETE",
        "/scripts/{script_uuid}",
        "Delete a script no flow uses",
        field="deleteScript",
        path_args={"script_uuid": "uuid"},
        tag="Scripts",
        extension=True,
    ),
    # Customers
    _r(
        "GET",
        "/customers",
        "List customers",
        field="customers",
        include={"recent_calls": "include_calls"},
        graphql_only=("filter",),
        tag="Customers",
    ),
    _r("GET", "/customers/meta/tags", "Unique customer tags", field="customerTags", tag="Customers"),
    _r("GET", "/customers/meta/branches", "Unique branch tags", field="customerBranches", tag="Customers"),
    _r("GET", "/customers/meta/count", "Count customers with any of the tags", field="customerCount", tag="Customers"),
    _r(
        "GET",
        "/customers/{customer_uuid}",
        "Get a customer",
        field="customer",
        path_args={"customer_uuid": "uuid"},
        include={"recent_calls": "include_calls"},
        tag="Customers",
    ),
    _r(
        "POST", "/customers", "Create a customer", field="createCustomer", body_arg="input", status=201, tag="Customers"
    ),
    _r(
        "PATCH",
        "/customers/{customer_uuid}",
        "Update a customer (partial)",
        field="updateCustomer",
        path_args={"customer_uuid": "uuid"},
        body_arg="input",
        tag="Customers",
    ),
    _r(
        "POST",
        "/customers/bulk",
        "Bulk upsert customers",
        field="bulkUpsertCustomers",
        body_arg="input",
        tag="Customers",
    ),
    _r(
        "POST",
        "/customers/import",
        "Import customers from a CSV or JSON file",
        field="importCustomers",
        handler=Handler.CUSTOMER_IMPORT,
        max_body_bytes=64 * 1024 * 1024,
        tag="Customers",
    ),
    # Calls
    _r("GET", "/calls", "List calls", field="calls", tag="Calls"),
    _r("GET", "/calls/statistics", "Call statistics", field="callStatistics", tag="Calls"),
    _r("GET", "/calls/live", "Calls in progress", field="liveCalls", envelope="calls", tag="Calls"),
    _r(
        "GET",
        "/calls/agent-availability",
        "Human agent availability in a queue",
        field="agentAvailability",
        tag="Calls",
    ),
    _r(
        "GET",
        "/price-table",
        "The organisation's price table (defaults marked)",
        field="priceTable",
        tag="Costs",
        extension=True,
    ),
    _r(
        "PUT",
        "/price-table",
        "Replace the price table",
        field="updatePriceTable",
        body_arg="input",
        tag="Costs",
        extension=True,
    ),
    _r("DELETE", "/price-table", "Back to the default prices", field="resetPriceTable", tag="Costs", extension=True),
    _r(
        "GET",
        "/calls/{call_uuid}",
        "Get a call with its transcript",
        field="call",
        path_args={"call_uuid": "uuid"},
        tag="Calls",
    ),
    _r(
        "GET",
        "/calls/{call_uuid}/recording",
        "Stream a call recording (?token=; Range requests)",
        field="callRecording",
        path_args={"call_uuid": "uuid"},
        handler=Handler.CALL_RECORDING,
        tag="Calls",
    ),
    _r(
        "POST",
        "/calls/{call_uuid}/metadata",
        "Merge structured results into key_details",
        field="writeCallMetadata",
        path_args={"call_uuid": "uuid"},
        body_arg="input",
        tag="Calls",
    ),
    _r(
        "POST",
        "/calls/{call_uuid}/transfer",
        "Warm-transfer a live call",
        field="transferCall",
        path_args={"call_uuid": "uuid"},
        body_arg="input",
        tag="Calls",
    ),
    _r(
        "POST",
        "/calls/{call_uuid}/end",
        "End a live call",
        field="endCall",
        path_args={"call_uuid": "uuid"},
        body_arg="input",
        tag="Calls",
    ),
    # Human-agent queues (not in the spec: the transfer targets of an organisation; managed in GraphQL)
    _r(
        "GET",
        "/queues",
        "List human-agent queues and their agents",
        field="humanQueues",
        envelope="queues",
        tag="Calls",
        extension=True,
    ),
    # Webhooks
    _r("GET", "/webhooks", "List webhooks", field="webhooks", envelope="webhooks", tag="Webhooks"),
    _r(
        "GET",
        "/webhooks/{webhook_uuid}",
        "Get a webhook",
        field="webhook",
        path_args={"webhook_uuid": "uuid"},
        tag="Webhooks",
    ),
    _r(
        "POST",
        "/webhooks",
        "Create a webhook (the answer carries the signing secret, once)",
        field="createWebhook",
        body_arg="input",
        status=201,
        tag="Webhooks",
    ),
    _r(
        "GET",
        "/webhooks/{webhook_uuid}/logs",
        "Webhook delivery logs",
        field="webhookLogs",
        path_args={"webhook_uuid": "uuid"},
        envelope="logs",
        tag="Webhooks",
    ),
    # Voice models
    _r("GET", "/models/speakers", "List custom speakers", field="speakers", tag="Voice Models"),
    _r(
        "POST",
        "/models/speakers",
        "Create a speaker from reference audio",
        field="createSpeaker",
        handler=Handler.SPEAKER_CREATE,
        status=201,
        max_body_bytes=REFERENCE_UPLOAD_BYTES,
        tag="Voice Models",
        form={"name": "text", "language": "text", "description": "optional text", "reference_audio": "file"},
    ),
    _r(
        "GET",
        "/models/speakers/{name}",
        "Get a speaker",
        field="speaker",
        path_args={"name": "name"},
        tag="Voice Models",
    ),
    _r(
        "DELETE",
        "/models/speakers/{name}",
        "Delete a speaker",
        field="deleteSpeaker",
        path_args={"name": "name"},
        tag="Voice Models",
    ),
    _r(
        "GET",
        "/models/speakers/{name}/reference",
        "Stream the reference audio",
        field="speakerReference",
        handler=Handler.SPEAKER_REFERENCE,
        path_args={"name": "name"},
        media_types=("audio/wav", "audio/mpeg"),
        tag="Voice Models",
    ),
    _r(
        "GET",
        "/models/speakers/{name}/dataset",
        "Dataset statistics",
        field="speakerDataset",
        path_args={"name": "name"},
        tag="Voice Models",
    ),
    _r(
        "POST",
        "/models/speakers/{name}/dataset/sample",
        "Upload a dataset sample",
        field="uploadDatasetSample",
        handler=Handler.SPEAKER_SAMPLE,
        path_args={"name": "name"},
        status=201,
        max_body_bytes=SAMPLE_UPLOAD_BYTES,
        form={"audio": "file", "transcript": "text"},
        tag="Voice Models",
    ),
    _r(
        "DELETE",
        "/models/speakers/{name}/dataset",
        "Clear the dataset",
        field="clearSpeakerDataset",
        path_args={"name": "name"},
        tag="Voice Models",
    ),
    _r(
        "POST",
        "/models/speakers/{name}/deploy",
        "Deploy to the voice catalog",
        field="deploySpeaker",
        path_args={"name": "name"},
        tag="Voice Models",
    ),
    _r(
        "DELETE",
        "/models/speakers/{name}/deploy",
        "Undeploy from the voice catalog",
        field="undeploySpeaker",
        path_args={"name": "name"},
        tag="Voice Models",
    ),
    # Integrations
    _r(
        "GET",
        "/integrations/telephony",
        "Telephony providers and connection status",
        field="telephonyProviders",
        envelope="providers",
        tag="Integrations",
    ),
    _r("GET", "/integrations/apps", "App integrations", field="appIntegrations", envelope="apps", tag="Integrations"),
    _r(
        "GET",
        "/integrations/telephony/exotel",
        "Exotel configuration (masked)",
        field="exotelIntegration",
        tag="Integrations",
    ),
    _r(
        "PUT",
        "/integrations/telephony/exotel",
        "Connect Exotel",
        field="connectExotel",
        body_arg="input",
        tag="Integrations",
    ),
    _r("DELETE", "/integrations/telephony/exotel", "Disconnect Exotel", field="disconnectExotel", tag="Integrations"),
    _r(
        "GET",
        "/integrations/voice/sarvam",
        "Sarvam configuration (masked)",
        field="sarvamIntegration",
        tag="Integrations",
    ),
    _r(
        "PUT",
        "/integrations/voice/sarvam",
        "Connect Sarvam",
        field="connectSarvam",
        body_arg="input",
        tag="Integrations",
    ),
    _r("DELETE", "/integrations/voice/sarvam", "Disconnect Sarvam", field="disconnectSarvam", tag="Integrations"),
    # Sockets and inbound webhooks
    _r("WEBSOCKET", "/ws/exotel", "Exotel voicebot stream", tag="WebSockets", websocket=True),
    _r("WEBSOCKET", "/ws/live/{call_uuid}", "Live transcript stream", tag="WebSockets", websocket=True),
    _r("WEBSOCKET", "/ws/browser-test/{flow_uuid}", "Browser test of a flow", tag="WebSockets", websocket=True),
    _r(
        "POST",
        "/webhooks/exotel/status",
        "Exotel status callback (form-encoded; validated by AccountSid)",
        handler=Handler.EXOTEL_STATUS,
        media_types=("application/json",),
        tag="Inbound Webhooks",
        public=True,
    ),
    _r(
        "GET",
        "/webhooks/exotel/passthru",
        "Exotel Passthru: 302 when the voicebot handed over (warm transfer)",
        handler=Handler.EXOTEL_PASSTHRU,
        media_types=("text/plain",),
        tag="Inbound Webhooks",
        extension=True,
        public=True,
    ),
    _r(
        "GET",
        "/webhooks/exotel/stream",
        "Exotel voicebot applet: the socket URL for this call (outbound calls carry call_id, flow_id, customer_id)",
        handler=Handler.EXOTEL_STREAM,
        media_types=("application/json",),
        tag="Inbound Webhooks",
        extension=True,
        public=True,
    ),
    _r(
        "GET",
        "/webhooks/exotel/connect",
        "Exotel Connect: the number of the transfer queue",
        handler=Handler.EXOTEL_CONNECT,
        media_types=("application/json",),
        tag="Inbound Webhooks",
        extension=True,
        public=True,
    ),
)


API_ROUTES: tuple[RestRoute, ...] = tuple(
    route for route in ROUTES if route.field and not route.pending and not route.handler
)
