"""How often the offline recogniser hears the demo's errands: the simulated customer's lines (espeak-ng at
8 kHz, as the simulated carrier streams them) through pocketsphinx, matched by the demo flow's triggers.

    python scripts/demo_lines.py                      # the isolated path: 10 variants per line
    python scripts/demo_lines.py --demo DIR/demo.db   # the live path: the calls of a `voiceai demo --data-dir DIR`

The isolated path feeds each line whole to a streaming turn (10 variants: a different lead-in word each, since
espeak-ng is deterministic). The live path reads what the calls' own STT heard: the errand turn of every
customer who had one (an order, a callback) and whether the demo's trigger matches it.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.demo import CALLBACK_TRIGGER, ORDER_TRIGGER
from app.telephony.simulator import CALLBACK_LINE, ORDER_LINES
from app.voice.providers.scripted_llm import CALL_LATER
from app.voice.providers.scripted_tools import ToolTrigger

RATE = 8000
LEADS = ("", "Yes. ", "Hi. ", "Okay. ", "Hello. ", "Right. ", "Um, ", "Sorry, ", "Listen, ", "So, ")
ORDER, CALLBACK = ToolTrigger.parse_all({"tool_triggers": [ORDER_TRIGGER, CALLBACK_TRIGGER]})
LATER = ToolTrigger("schedule_callback", CALL_LATER)  # the scripted policy's own "call me later" phrases
LINES = [
    (line, ORDER) for line in (*ORDER_LINES, "Can you check my order 4 5 1 2 please?", "Where is my delivery?")
] + [(line, CALLBACK) for line in (CALLBACK_LINE, "Call me back in a minute.", "Please call me later.")]


def hear(pcm: bytes) -> str:
    from app.voice.providers.speech_pool import shared_pool

    turn = shared_pool().open_turn(RATE)
    padded = bytes(RATE * 2 * 3 // 10) + pcm + bytes(RATE * 2 * 6 // 10)
    step = RATE * 2 // 10
    for start in range(0, len(padded), step):
        turn.push(padded[start : start + step])
    turn.end()
    return turn.finish_blocking()


def isolated() -> None:
    from app.voice.providers.espeak_tts import synthesize_blocking

    for line, trigger in LINES:
        heard = [hear(synthesize_blocking(lead + line, "en", RATE)) for lead in LEADS]
        hits = sum(trigger.matches(text) for text in heard)
        later = sum(LATER.matches(text) for text in heard)
        print(f"{line!r}: {trigger.tool} trigger {hits}/{len(heard)}, 'call me later' phrases {later}/{len(heard)}")
        print("    heard: " + " / ".join(heard))


def live(database: Path) -> None:
    rows = sqlite3.connect(database).execute(
        "SELECT k.metadata, c.transcript FROM calls c JOIN customers k ON k.id = c.customer_id "
        "WHERE c.started_at IS NOT NULL ORDER BY c.started_at"
    )
    seen: set[str] = set()
    counts = {ORDER.tool: [0, 0], CALLBACK.tool: [0, 0]}
    for metadata_text, transcript_text in rows:
        metadata = json.loads(metadata_text or "{}")
        trigger = CALLBACK if metadata.get("asks_for_callback") else ORDER if metadata.get("order_id") else None
        said = [turn["text"] for turn in json.loads(transcript_text or "[]") if turn["speaker"] == "customer"]
        if trigger is None or len(said) < 2 or metadata_text + trigger.tool in seen:
            continue  # no errand, hung up early, or the callback itself
        seen.add(metadata_text + trigger.tool)
        hit = trigger.matches(said[1])
        counts[trigger.tool][0] += hit
        counts[trigger.tool][1] += 1
        print(f"{trigger.tool}: heard {said[1]!r} -> {'match' if hit else 'no match'}")
    for tool, (hits, total) in counts.items():
        print(f"{tool}: {hits}/{total} errand turns matched")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="a demo's database: measure the calls' own transcripts")
    args = parser.parse_args()
    if args.demo:
        live(args.demo)
    else:
        isolated()


if __name__ == "__main__":
    main()
