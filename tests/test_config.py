"""Settings come from VOICEAI_* variables, read once; the development secret key is generated once."""

from __future__ import annotations

import ipaddress
import stat

import pytest
from cryptography.fernet import Fernet

from app.config import Settings


def test_defaults_are_the_embedded_ones():
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite://voiceai.db"
    assert settings.redis_url is None and settings.rate_limits is True
    assert settings.trusted_proxies == ()


def test_every_documented_variable_is_read():
    settings = Settings.from_env(
        {
            "VOICEAI_DATABASE_URL": "postgres://u@h/db",
            "VOICEAI_REDIS_URL": "redis://h:6379/1",
            "VOICEAI_SECRET_KEY": "k",
            "VOICEAI_PUBLIC_URL": "https://voice.example.com/",
            "VOICEAI_RATE_LIMITS": "off",
            "VOICEAI_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1",
            "VOICEAI_FIREBASE_PROJECT_ID": "proj",
            "VOICEAI_FIREBASE_CERTS_URL": "http://127.0.0.1:1/certs",
        }
    )
    assert settings.database_url == "postgres://u@h/db" and settings.redis_url == "redis://h:6379/1"
    assert settings.public_url == "https://voice.example.com" and settings.rate_limits is False
    assert settings.trusted_proxies == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.168.1.1/32"))
    assert settings.firebase_project_id == "proj" and settings.resolved_secret_key() == "k"


def test_a_bad_flag_is_refused_at_start_up():
    with pytest.raises(ValueError, match="VOICEAI_RATE_LIMITS must be 'on' or 'off'"):
        Settings.from_env({"VOICEAI_RATE_LIMITS": "maybe"})


def test_the_development_secret_key_is_generated_once_and_private(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    key = settings.resolved_secret_key()
    Fernet(key.encode())  # a usable Fernet key
    assert Settings(data_dir=tmp_path / "data").resolved_secret_key() == key
    mode = (tmp_path / "data" / "secret.key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_provider_keys_are_read_into_extra_and_nothing_else_is():
    settings = Settings.from_env(
        {
            "VOICEAI_LLM_API_KEY": "sk-1",
            "VOICEAI_SARVAM_API_KEY": "sv",
            "VOICEAI_ELEVENLABS_BASE_URL": "http://127.0.0.1:9",
            "HOME": "/root",
            "VOICEAI_LLM_MODEL": "",
        }
    )
    assert settings.extra == {
        "VOICEAI_LLM_API_KEY": "sk-1",
        "VOICEAI_SARVAM_API_KEY": "sv",
        "VOICEAI_ELEVENLABS_BASE_URL": "http://127.0.0.1:9",
    }
