"""`voiceai demo`: its parts (signature check, extraction, settings) and one small offline run end to end."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import re
import sys

import pytest

from app.cli import parser
from app.config import Settings
from app.demo import Receiver, extract


def test_the_receiver_verifies_x_nn_signature():
    secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
    receiver = Receiver(secret=secret)
    body = b'{"event": "call.ended"}'
    good = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert receiver.verify(body, good)
    assert not receiver.verify(body + b" ", good)
    assert not receiver.verify(body, None)


def test_extraction_reads_the_customer_turns():
    result = extract(
        [{"speaker": "agent", "text": "Hi"}, {"speaker": "customer", "text": "Yes, the oak bookshelf sounds good"}]
    )
    assert result["extraction"]["outcome"]["call_outcome"] == "interested"
    assert result["extraction"]["requirement"]["product_category"] == "oak bookshelf"


def test_the_cli_has_demo_and_settings_read_the_new_variables():
    args = parser().parse_args(["demo", "--customers", "5"])
    assert args.customers == 5
    settings = Settings.from_env(
        {
            "VOICEAI_TELEPHONY": "simulator",
            "VOICEAI_DIALER_CALLS_PER_SECOND": "2.5",
            "VOICEAI_DIALER_DEDUP_HOURS": "12",
            "VOICEAI_EXOTEL_FLOW_URL": "http://x/1",
        }
    )
    assert (
        settings.telephony,
        settings.dialer_calls_per_second,
        settings.dialer_dedup_hours,
        settings.exotel_flow_url,
        settings.dialer,
    ) == ("simulator", 2.5, 12.0, "http://x/1", True)
    with pytest.raises(ValueError, match="VOICEAI_TELEPHONY"):
        Settings.from_env({"VOICEAI_TELEPHONY": "twilio"})


async def test_a_small_offline_demo_completes_with_a_tool_request_and_a_callback(tmp_path):
    """Issue 16 §3: the demo's customers who ask about an order get it looked up by the receiver, and the one
    who asks to be phoned later is called back (a minute on) before the campaign completes."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "demo",
        "--customers",
        "4",
        "--seed",
        "3",
        "--timeout",
        "150",
        "--data-dir",
        str(tmp_path / "demo"),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 200)
    text = output.decode()
    assert process.returncode == 0, text
    assert "Campaign completed" in text and "bad signature: 0" in text, text
    assert "Recordings:" in text
    answered = re.search(r"In-call tool requests answered by the receiver \(order_status\): (\d+)", text)
    assert answered and int(answered.group(1)) >= 1, text
    assert "Callbacks booked during calls: 1; placed: 1" in text, text
