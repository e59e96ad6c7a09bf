"""Issue 16 §2: the voicemail message carries the customer's fields."""

from __future__ import annotations

from app.voice.context import CustomerView
from app.voice.voicemail_message import voicemail_template, voicemail_text

ASHA = CustomerView(id="cst_1", name="Asha", phone="+919800000001", metadata={"due_date": "5 May", "amount": 1200})


def test_name_and_metadata_are_filled_in():
    text = voicemail_text("Hi {name}, your payment of Rs {amount} is due on {due_date}. Call us back.", ASHA)
    assert text == "Hi Asha, your payment of Rs 1200 is due on 5 May. Call us back."


def test_an_unknown_field_is_left_out_not_read_aloud():
    assert voicemail_text("Hi {name}, about {policy_number}: call us.", ASHA) == "Hi Asha, about : call us."


def test_only_a_non_empty_message_counts():
    assert voicemail_template({"voicemail_message": "  "}) is None
    assert voicemail_template({"voicemail_message": "Hi {name}"}) == "Hi {name}"
    assert voicemail_template({}) is None
