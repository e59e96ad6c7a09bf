"""Every Tortoise model of the platform; one module per domain, gathered here for discovery."""

from app.db.models.agents import VoiceAgent
from app.db.models.calls import Call
from app.db.models.customers import Customer, CustomerTag, Tag
from app.db.models.flows import Flow, Script
from app.db.models.organisations import ApiKey, Organisation, User

__all__ = ["ApiKey", "Call", "Customer", "CustomerTag", "Flow", "Organisation", "Script", "Tag", "User",
           "VoiceAgent"]
