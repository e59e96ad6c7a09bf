"""Every Tortoise model of the platform; one module per domain, gathered here for discovery."""

from app.db.models.agents import VoiceAgent
from app.db.models.organisations import ApiKey, Organisation, User

__all__ = ["ApiKey", "Organisation", "User", "VoiceAgent"]
