"""The one route table of the REST contract (`../shared/spec/voice-api.md`, base path /api/voice).

Each row names the GraphQL root field it runs and how path, query and body become its arguments.
Starlette routes (shim.py) and the OpenAPI document (openapi.py) are both generated from it; rate
limits are read from the GraphQL field, so REST and GraphQL draw on one budget.
Rows with `pending` name the issue that will build them; they answer 501 until then.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping

BASE_PATH = "/api/voice"


@dataclass(frozen=True)
class RestRoute:
    method: str
    path: str
    summary: str
    field: str | None = None                       # GraphQL root field (query or mutation) this runs
    path_args: Mapping[str, str] = dataclasses.field(default_factory=dict)  # {path parameter: GraphQL argument}
    body_arg: str | None = None                    # GraphQL argument that receives the JSON body
    include: Mapping[str, str] = dataclasses.field(default_factory=dict)    # {result field: Boolean query parameter}
    envelope: str | None = None                    # wrap a list result: {"<envelope>": [...]}
    status: int = 200
    max_body_bytes: int | None = None
    tag: str = ""
    pending: str | None = None                     # not built yet: the issue that builds it
    websocket: bool = False
    extension: bool = False                        # not in the spec: OpenAPI marks it `x-extension: true`
    handler: bool = False                          # served by a Starlette handler given to build_routes;
                                                   # `field` is then its GraphQL twin (limit, answer schema)
    graphql_only: tuple[str, ...] = ()             # GraphQL arguments REST does not expose (e.g. `filter`)


def _r(method: str, path: str, summary: str, **options) -> RestRoute:
    return RestRoute(method, path, summary, **options)


ROUTES: tuple[RestRoute, ...] = (
    # Voice agents and samples
    _r("GET", "/agents", "List active voice agents", field="agents", tag="Voice Agents"),
    _r("GET", "/agents/{agent_uuid}", "Get a voice agent", field="agent",
       path_args={"agent_uuid": "uuid"}, tag="Voice Agents"),
    _r("POST", "/agents", "Create a voice agent", field="createAgent", body_arg="input", status=201,
       tag="Voice Agents"),
    _r("PATCH", "/agents/{agent_uuid}", "Update a voice agent (partial)", field="updateAgent",
       path_args={"agent_uuid": "uuid"}, body_arg="input", tag="Voice Agents"),
    _r("DELETE", "/agents/{agent_uuid}", "Soft-delete a voice agent", field="deleteAgent",
       path_args={"agent_uuid": "uuid"}, tag="Voice Agents"),
    _r("GET", "/samples", "List voice samples", field="samples", tag="Voice Agents"),
    # Flows
    _r("GET", "/flows", "List flows", field="flows", envelope="flows", include={"metrics": "include_metrics"},
       graphql_only=("filter",), tag="Flows"),
    _r("GET", "/flows/{flow_uuid}", "Get a flow", field="flow", path_args={"flow_uuid": "uuid"},
       include={"metrics": "include_metrics"}, tag="Flows"),
    _r("POST", "/flows", "Create a flow", field="createFlow", body_arg="input", status=201, tag="Flows"),
    _r("PATCH", "/flows/{flow_uuid}", "Update a flow (partial)", field="updateFlow",
       path_args={"flow_uuid": "uuid"}, body_arg="input", tag="Flows"),
    _r("POST", "/flows/{flow_uuid}/toggle", "Toggle a flow between active and paused", field="toggleFlow",
       path_args={"flow_uuid": "uuid"}, tag="Flows"),
    _r("POST", "/flows/{flow_uuid}/launch", "Launch an outbound campaign", tag="Flows", pending="issue 6"),
    _r("POST", "/flows/{flow_uuid}/stop", "Stop an outbound campaign", tag="Flows", pending="issue 6"),
    _r("DELETE", "/flows/{flow_uuid}", "Delete a flow (stops its campaign first)", field="deleteFlow",
       path_args={"flow_uuid": "uuid"}, tag="Flows"),
    # Scripts (not in the spec: what a flow's script_id refers to)
    _r("GET", "/scripts", "List scripts", field="scripts", tag="Scripts", extension=True),
    _r("GET", "/scripts/{script_uuid}", "Get a script", field="script", path_args={"script_uuid": "uuid"},
       tag="Scripts", extension=True),
    _r("POST", "/scripts", "Create a script", field="createScript", body_arg="input", status=201, tag="Scripts",
       extension=True),
    _r("PATCH", "/scripts/{script_uuid}", "Update a script (partial)", field="updateScript",
       path_args={"script_uuid": "uuid"}, body_arg="input", tag="Scripts", extension=True),
    _r("DELETE", "/scripts/{script_uuid}", "Delete a script no flow uses", field="deleteScript",
       path_args={"script_uuid": "uuid"}, tag="Scripts", extension=True),
    # Customers
    _r("GET", "/customers", "List customers", field="customers", include={"recent_calls": "include_calls"},
       graphql_only=("filter",), tag="Customers"),
    _r("GET", "/customers/meta/tags", "Unique customer tags", field="customerTags", tag="Customers"),
    _r("GET", "/customers/meta/branches", "Unique branch tags", field="customerBranches", tag="Customers"),
    _r("GET", "/customers/meta/count", "Count customers with any of the tags", field="customerCount",
       tag="Customers"),
    _r("GET", "/customers/{customer_uuid}", "Get a customer", field="customer",
       path_args={"customer_uuid": "uuid"}, include={"recent_calls": "include_calls"}, tag="Customers"),
    _r("POST", "/customers", "Create a customer", field="createCustomer", body_arg="input", status=201,
       tag="Customers"),
    _r("PATCH", "/customers/{customer_uuid}", "Update a customer (partial)", field="updateCustomer",
       path_args={"customer_uuid": "uuid"}, body_arg="input", tag="Customers"),
    _r("POST", "/customers/bulk", "Bulk upsert customers", field="bulkUpsertCustomers", body_arg="input",
       tag="Customers"),
    _r("POST", "/customers/import", "Import customers from a CSV or JSON file", field="importCustomers",
       handler=True, max_body_bytes=64 * 1024 * 1024, tag="Customers"),
    # Calls
    _r("GET", "/calls", "List calls", tag="Calls", pending="issue 4"),
    _r("GET", "/calls/statistics", "Call statistics", tag="Calls", pending="issue 4"),
    _r("GET", "/calls/live", "Calls in progress", tag="Calls", pending="issue 4"),
    _r("GET", "/calls/agent-availability", "Human agent availability in a queue", tag="Calls",
       pending="issue 4"),
    _r("GET", "/calls/{call_uuid}", "Get a call with its transcript", tag="Calls", pending="issue 4"),
    _r("GET", "/calls/{call_uuid}/recording", "Stream a call recording", tag="Calls", pending="issue 4"),
    _r("POST", "/calls/{call_uuid}/metadata", "Merge structured results into key_details", tag="Calls",
       pending="issue 4"),
    _r("POST", "/calls/{call_uuid}/transfer", "Warm-transfer a live call", tag="Calls", pending="issue 4"),
    _r("POST", "/calls/{call_uuid}/end", "End a live call", tag="Calls", pending="issue 4"),
    # Webhooks
    _r("GET", "/webhooks", "List webhooks", tag="Webhooks", pending="issue 4"),
    _r("GET", "/webhooks/{webhook_uuid}", "Get a webhook", tag="Webhooks", pending="issue 4"),
    _r("POST", "/webhooks", "Create a webhook", tag="Webhooks", pending="issue 4"),
    _r("GET", "/webhooks/{webhook_uuid}/logs", "Webhook delivery logs", tag="Webhooks", pending="issue 4"),
    # Voice models
    _r("GET", "/models/speakers", "List custom speakers", tag="Voice Models", pending="issue 7"),
    _r("POST", "/models/speakers", "Create a speaker from reference audio", tag="Voice Models",
       pending="issue 7"),
    _r("GET", "/models/speakers/{name}", "Get a speaker", tag="Voice Models", pending="issue 7"),
    _r("DELETE", "/models/speakers/{name}", "Delete a speaker", tag="Voice Models", pending="issue 7"),
    _r("GET", "/models/speakers/{name}/reference", "Stream the reference audio", tag="Voice Models",
       pending="issue 7"),
    _r("GET", "/models/speakers/{name}/dataset", "Dataset statistics", tag="Voice Models", pending="issue 7"),
    _r("POST", "/models/speakers/{name}/dataset/sample", "Upload a dataset sample", tag="Voice Models",
       pending="issue 7"),
    _r("DELETE", "/models/speakers/{name}/dataset", "Clear the dataset", tag="Voice Models", pending="issue 7"),
    _r("POST", "/models/speakers/{name}/deploy", "Deploy to the voice catalog", tag="Voice Models",
       pending="issue 7"),
    _r("DELETE", "/models/speakers/{name}/deploy", "Undeploy from the voice catalog", tag="Voice Models",
       pending="issue 7"),
    # Integrations
    _r("GET", "/integrations/telephony", "Telephony providers and connection status", tag="Integrations",
       pending="issue 6"),
    _r("GET", "/integrations/apps", "App integrations", tag="Integrations", pending="issue 6"),
    _r("GET", "/integrations/telephony/exotel", "Exotel configuration (masked)", tag="Integrations",
       pending="issue 6"),
    _r("PUT", "/integrations/telephony/exotel", "Connect Exotel", tag="Integrations", pending="issue 6"),
    _r("DELETE", "/integrations/telephony/exotel", "Disconnect Exotel", tag="Integrations", pending="issue 6"),
    _r("GET", "/integrations/voice/sarvam", "Sarvam configuration (masked)", tag="Integrations",
       pending="issue 6"),
    _r("PUT", "/integrations/voice/sarvam", "Connect Sarvam", tag="Integrations", pending="issue 6"),
    _r("DELETE", "/integrations/voice/sarvam", "Disconnect Sarvam", tag="Integrations", pending="issue 6"),
    # Sockets and inbound webhooks
    _r("WEBSOCKET", "/ws/exotel", "Exotel voicebot stream", tag="WebSockets", websocket=True, pending="issue 5"),
    _r("WEBSOCKET", "/ws/live/{call_uuid}", "Live transcript stream", tag="WebSockets", websocket=True,
       pending="issue 4"),
    _r("WEBSOCKET", "/ws/browser-test/{flow_uuid}", "Browser test of a flow", tag="WebSockets", websocket=True,
       pending="issue 5"),
    _r("POST", "/webhooks/exotel/status", "Exotel status callback", tag="Inbound Webhooks", pending="issue 6"),
)


API_ROUTES: tuple[RestRoute, ...] = tuple(
    route for route in ROUTES if route.field and not route.pending and not route.handler
)
