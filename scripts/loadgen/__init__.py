"""The bench_calls load generator, fake providers and measures (see scripts/bench_calls.py)."""
