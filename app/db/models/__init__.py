"""Every Tortoise model of the platform; one module per domain, gathered here for discovery."""

from app.db.models.agents import VoiceAgent
from app.db.models.billing import PriceTable
from app.db.models.calls import Call
from app.db.models.customers import Customer, CustomerTag, Tag
from app.db.models.dialer import Campaign, DialJob, DoNotCall
from app.db.models.flows import Flow, Script
from app.db.models.instances import InstanceLease
from app.db.models.integrations import Integration
from app.db.models.organisations import ApiKey, Organisation, User
from app.db.models.queues import HumanAgent, HumanQueue
from app.db.models.speakers import DatasetSample, Speaker
from app.db.models.tools import Tool, ToolInvocation, ToolSecret
from app.db.models.webhooks import Webhook, WebhookDelivery, WebhookLog

__all__ = [
    "ApiKey",
    "Call",
    "Campaign",
    "Customer",
    "CustomerTag",
    "DatasetSample",
    "DialJob",
    "DoNotCall",
    "Flow",
    "HumanAgent",
    "HumanQueue",
    "InstanceLease",
    "Integration",
    "Organisation",
    "PriceTable",
    "Script",
    "Speaker",
    "Tag",
    "Tool",
    "ToolInvocation",
    "ToolSecret",
    "User",
    "VoiceAgent",
    "Webhook",
    "WebhookDelivery",
    "WebhookLog",
]
