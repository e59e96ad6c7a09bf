"""Who is calling: the organisation every query is scoped to, and the credential that proved it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class CredentialKind(str, Enum):
    API_KEY = "api_key"
    FIREBASE = "firebase"


@dataclass(frozen=True, slots=True)
class Principal:
    organisation_id: str
    kind: CredentialKind
    subject: str  # the api key's id or the user's id
