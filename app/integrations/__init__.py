"""Provider integrations an organisation connects: Exotel (telephony) and Sarvam (voice)."""
