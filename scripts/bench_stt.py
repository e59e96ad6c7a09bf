"""pocketsphinx on telephone speech: word accuracy, CPU-seconds per second of speech, and (with --pool) how
soon the final transcript is ready after the end of a turn when N callers speak at once.

Speech is espeak-ng English at 8 kHz (what Exotel carries). Two decoders are compared in this process:
- before: the utterance resampled to 16 kHz at once, pocketsphinx's default search (the old provider);
- after: the utterance streamed in 100 ms batches through the worker's resampler and `DECODER_OPTIONS`.
--pool N: N concurrent turns paced in real time through the worker pool (`speech_pool.py`), measuring end
of turn -> final transcript.

    .venv/bin/python scripts/bench_stt.py [--pool 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.voice.audio import resample  # noqa: E402
from app.voice.providers.espeak_tts import synthesize_blocking  # noqa: E402
from app.voice.providers.speech_worker import DECODER_OPTIONS, DECODER_RATE, new_decoder  # noqa: E402
from app.voice.providers.stream_resampler import StreamResampler  # noqa: E402

RATE = 8000
SENTENCES = [
    "yes please", "no thank you", "do you deliver to mumbai", "what is the warranty on desks",
    "tell me about the spring sale please", "can I talk to a real person", "I am not interested",
    "call me back tomorrow morning", "how much does the sofa cost", "okay goodbye",
    "what time do you open", "I would like to book an appointment", "my order has not arrived yet",
    "can you send me the details by email", "is there a discount for new customers",
    "I already have one at home", "please remove my number from your list", "sounds good to me",
    "where is your nearest store", "I need to think about it",
]


def word_errors(reference: str, hypothesis: str) -> int:
    ref, hyp = reference.lower().split(), hypothesis.lower().split()
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1]


def decode_before(decoder, pcm: bytes) -> str:
    decoder.start_utt()
    decoder.process_raw(resample(pcm, RATE, DECODER_RATE), full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return hypothesis.hypstr if hypothesis else ""


def decode_after(decoder, pcm: bytes) -> str:
    resampler, batch = StreamResampler(RATE, DECODER_RATE), RATE * 2 // 10
    decoder.start_utt()
    for start in range(0, len(pcm), batch):
        decoder.process_raw(resampler.push(pcm[start:start + batch]))
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return hypothesis.hypstr if hypothesis else ""


def measure(name: str, decoder, decode, speech: list[bytes]) -> dict:
    errors = words = 0
    cpu = 0.0
    for text, pcm in zip(SENTENCES, speech):
        started = time.process_time()
        heard = decode(decoder, pcm)
        cpu += time.process_time() - started
        errors += word_errors(text, heard)
        words += len(text.split())
    seconds = sum(len(pcm) for pcm in speech) / 2 / RATE
    return {"decoder": name, "word_accuracy": 1 - errors / words, "cpu_per_speech_second": cpu / seconds,
            "speech_seconds": seconds}


async def pool_latency(count: int, speech: list[bytes]) -> dict:
    from app.voice.providers.speech_pool import SpeechPool

    pool = SpeechPool()
    pool.start()
    await asyncio.to_thread(pool.wait_ready)
    frame = RATE * 2 // 50

    async def caller(index: int) -> tuple[float, bool]:
        pcm = speech[index % len(speech)] + bytes(RATE * 2 * 6 // 10)   # the turn ends 600 ms after speech
        await asyncio.sleep(index * 0.05)
        turn = pool.open_turn(RATE)
        start = time.perf_counter()
        for n, at in enumerate(range(0, len(pcm), frame)):
            turn.push(pcm[at:at + frame])
            await asyncio.sleep(max(0.0, start + (n + 1) * 0.02 - time.perf_counter()))
        ended = time.perf_counter()
        text = await turn.finish()
        return time.perf_counter() - ended, word_errors(SENTENCES[index % len(SENTENCES)], text) == 0

    try:
        results = await asyncio.gather(*(caller(i) for i in range(count)))
    finally:
        await pool.aclose()
    latencies = sorted(latency for latency, _ in results)
    return {"concurrent_turns": count, "workers": pool.size,
            "final_after_end_p50_ms": round(statistics.median(latencies) * 1000, 1),
            "final_after_end_max_ms": round(latencies[-1] * 1000, 1),
            "exact_transcripts": sum(exact for _, exact in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pool", type=int, default=0, help="also measure N concurrent turns in the worker pool")
    args = parser.parse_args()
    speech = [synthesize_blocking(text, "en", RATE) for text in SENTENCES]
    from pocketsphinx import Decoder

    rows = [measure("before (default search, whole utterance)",
                    Decoder(loglevel="FATAL", samprate=DECODER_RATE), decode_before, speech),
            measure("after (DECODER_OPTIONS, 100 ms batches)", new_decoder(DECODER_OPTIONS), decode_after, speech)]
    for row in rows:
        print(f"{row['decoder']}: word accuracy {row['word_accuracy']:.1%}, "
              f"{row['cpu_per_speech_second']:.3f} CPU-s per speech-s ({row['speech_seconds']:.1f} s of speech)")
    if args.pool:
        print(asyncio.run(pool_latency(args.pool, speech)))


if __name__ == "__main__":
    main()
