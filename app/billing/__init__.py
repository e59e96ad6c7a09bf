"""What a call used (telephony, STT, TTS, LLM, tools, recording) and what that cost by the organisation's prices."""
