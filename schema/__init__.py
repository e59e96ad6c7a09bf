"""The GraphQL schema, the platform's primary model; REST and the console are built on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.agents import AgentMutations, AgentQueries, AgentSubscriptions
from schema.call_deliveries import CallDeliveryQueries
from schema.callbacks import CallbackQueries
from schema.calls import CallMutations, CallQueries, CallSubscriptions
from schema.campaigns import CampaignMutations
from schema.customers import CustomerMutations, CustomerQueries
from schema.errors import ErrorCodes
from schema.flows import FlowMutations, FlowQueries
from schema.integrations import IntegrationMutations, IntegrationQueries
from schema.loaders import OperationLoaders
from schema.operation_metrics import OperationMetrics
from schema.organisation import OrganisationMutations, OrganisationQueries
from schema.price_tables import PriceTableMutations, PriceTableQueries
from schema.public_ids import guard_id_arguments
from schema.queues import QueueMutations, QueueQueries
from schema.samples import SampleQueries
from schema.scalars import UtcDateTime
from schema.scripts import ScriptMutations, ScriptQueries
from schema.speakers import SpeakerMutations, SpeakerQueries
from schema.strawberry_internals import core_schema
from schema.tools import ToolMutations, ToolQueries
from schema.webhooks import WebhookMutations, WebhookQueries

Query = merge_types(
    "Query",
    (
        AgentQueries,
        SampleQueries,
        OrganisationQueries,
        CustomerQueries,
        FlowQueries,
        ScriptQueries,
        SpeakerQueries,
        CallQueries,
        QueueQueries,
        WebhookQueries,
        IntegrationQueries,
        CallDeliveryQueries,
        PriceTableQueries,
        ToolQueries,
        CallbackQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AgentMutations,
        OrganisationMutations,
        CustomerMutations,
        FlowMutations,
        ScriptMutations,
        SpeakerMutations,
        CallMutations,
        QueueMutations,
        WebhookMutations,
        IntegrationMutations,
        CampaignMutations,
        PriceTableMutations,
        ToolMutations,
    ),
)
Subscription = merge_types("Subscription", (AgentSubscriptions, CallSubscriptions))


class PlatformSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Domain errors are answers, not faults: only unexpected ones are logged (by ErrorCodes).

        Syntax errors (including the token limit) end the operation before ErrorCodes sees the
        result, so they get their code here.
        """
        for error in errors:
            if error.original_error is None and not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": "BAD_REQUEST"}


def build_schema(*, max_depth: int = 10, max_tokens: int = 2000) -> strawberry.Schema:
    schema = PlatformSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides={datetime: UtcDateTime},
        config=StrawberryConfig(),
        extensions=[
            ErrorCodes,
            OperationMetrics,
            OperationLoaders,
            QueryDepthLimiter(max_depth=max_depth),  # type: ignore[list-item]  # instances are accepted; the annotation omits them
            MaxTokensLimiter(max_token_count=max_tokens),  # type: ignore[list-item]  # instances are accepted; the annotation omits them
            MaxAliasesLimiter(max_alias_count=50),  # type: ignore[list-item]  # instances are accepted; the annotation omits them
            ParserCache(maxsize=512),  # type: ignore[list-item]  # instances are accepted; the annotation omits them
            ValidationCache(maxsize=512),  # type: ignore[list-item]  # instances are accepted; the annotation omits them
        ],
    )
    guard_id_arguments(core_schema(schema))
    return schema
