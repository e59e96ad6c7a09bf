"""Integration fixtures: valid Exotel and Sarvam connection bodies."""

from __future__ import annotations

import secrets
from typing import Any

import pytest


@pytest.fixture
def exotel_body() -> dict[str, Any]:
    return {
        "api_key": "exo-key-" + secrets.token_hex(4) + "wxyz",
        "api_token": "exo-token-" + secrets.token_hex(4) + "9abc",
        "account_sid": "acct_" + secrets.token_hex(4),
        "subdomain": "api.exotel.com",
        "phone_number": "+15550010000",
    }
