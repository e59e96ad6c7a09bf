"""Per-turn latency of a call: typed marks in, one `TurnLatency` per agent reply out, summaries and metrics."""
