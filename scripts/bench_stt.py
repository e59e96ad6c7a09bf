"""pocketsphinx on telephone speech: word accuracy, CPU-seconds per second of speech, and (with --pool) how
soon the final transcript is ready after the end of a turn when N callers speak at once.

Speech is espeak-ng English at 8 kHz (what Exotel carries). Two decoders are compared in this process:
- before: the utterance resampled to 16 kHz at once, pocketsphinx's default search (the old provider);
- after: the utterance streamed in 100 ms batches through the worker's resampler and `DECODER_OPTIONS`.
--loop: the event loop's largest stall while 4 turns are decoded, in threads (old) and in the workers.
--pool N: N callers through the worker pool (`speech_pool.py`), each speaking 3 turns in real time with
2.5 s of listening between them, measuring end of turn -> final transcript and the workers' CPU.

    .venv/bin/python scripts/bench_stt.py [--loop] [--pool 20] [--pool-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.voice.audio import resample
from app.voice.providers.espeak_tts import synthesize_blocking
from app.voice.providers.speech_worker import DECODER_OPTIONS, DECODER_RATE, new_decoder
from app.voice.providers.stream_resampler import StreamResampler

RATE = 8000
SENTENCES = [
    "yes please",
    "no thank you",
    "do you deliver to mumbai",
    "what is the warranty on desks",
    "tell me about the spring sale please",
    "can I talk to a real person",
    "I am not interested",
    "call me back tomorrow morning",
    "how much does the sofa cost",
    "okay goodbye",
    "what time do you open",
    "I would like to book an appointment",
    "my order has not arrived yet",
    "can you send me the details by email",
    "is there a discount for new customers",
    "I already have one at home",
    "please remove my number from your list",
    "sounds good to me",
    "where is your nearest store",
    "I need to think about it",
]


def word_errors(reference: str, hypothesis: str) -> int:
    ref, hyp = reference.lower().split(), hypothesis.lower().split()
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1]


_INITIAL_CMN: dict[int, str] = {}


def fresh_front_end(decoder) -> None:
    """As the provider does before every turn: no cepstral mean carried over from the previous caller."""
    decoder.reinit_feat()
    decoder.set_cmn(_INITIAL_CMN.setdefault(id(decoder), decoder.get_cmn(False)))


def decode_before(decoder, pcm: bytes) -> str:
    fresh_front_end(decoder)
    decoder.start_utt()
    decoder.process_raw(resample(pcm, RATE, DECODER_RATE), full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return hypothesis.hypstr if hypothesis else ""


def decode_after(decoder, pcm: bytes) -> str:
    resampler, batch = StreamResampler(RATE, DECODER_RATE), RATE * 2 // 10
    fresh_front_end(decoder)
    decoder.start_utt()
    for start in range(0, len(pcm), batch):
        decoder.process_raw(resampler.push(pcm[start : start + batch]))
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return hypothesis.hypstr if hypothesis else ""


def measure(name: str, decoder, decode, speech: list[bytes]) -> dict:
    errors = words = 0
    cpu = 0.0
    for text, pcm in zip(SENTENCES, speech, strict=True):
        started = time.process_time()
        heard = decode(decoder, pcm)
        cpu += time.process_time() - started
        errors += word_errors(text, heard)
        words += len(text.split())
    seconds = sum(len(pcm) for pcm in speech) / 2 / RATE
    return {
        "decoder": name,
        "word_accuracy": 1 - errors / words,
        "cpu_per_speech_second": cpu / seconds,
        "speech_seconds": seconds,
    }


def workers_cpu(pool) -> float:
    """User + system CPU seconds of the pool's worker processes so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pool.pids():
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def workers_rss(pool) -> float:
    """Resident MB of the pool's worker processes."""
    total = 0
    for pid in pool.pids():
        with open(f"/proc/{pid}/statm") as statm:
            total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return total / 1e6


async def pool_latency(
    count: int, speech: list[bytes], turns: int = 3, reply_seconds: float = 2.5, nice: int = 0, decoders: int = 4
) -> dict:
    """`count` callers, each speaking `turns` turns in real time (20 ms frames, the turn ends 600 ms after the
    speech, as the endpoint detector does), listening `reply_seconds` between turns; starts spread over 3 s."""
    from app.voice.providers.base import ProviderError
    from app.voice.providers.speech_pool import SpeechPool

    pool = SpeechPool(nice=nice, warm_decoders=decoders)
    pool.start()
    await asyncio.to_thread(pool.wait_ready, 120)
    frame = RATE * 2 // 50
    rss_before = workers_rss(pool)
    cpu_before = workers_cpu(pool)
    audio_seconds = 0.0

    async def turn(index: int) -> tuple[float, bool]:
        nonlocal audio_seconds
        text = SENTENCES[index % len(SENTENCES)]
        pcm = speech[index % len(speech)] + bytes(RATE * 2 * 6 // 10)
        audio_seconds += len(pcm) / 2 / RATE
        opened = pool.open_turn(RATE)
        start = time.perf_counter()
        for n, at in enumerate(range(0, len(pcm), frame)):
            opened.push(pcm[at : at + frame])
            await asyncio.sleep(max(0.0, start + (n + 1) * 0.02 - time.perf_counter()))
        ended = time.perf_counter()
        try:
            heard = await opened.finish()
        except ProviderError:
            return float("inf"), False
        return time.perf_counter() - ended, word_errors(text, heard) == 0

    async def caller(index: int) -> list[tuple[float, bool]]:
        await asyncio.sleep(3.0 * index / count)
        results = []
        for spoken in range(turns):
            results.append(await turn(index * turns + spoken))
            await asyncio.sleep(reply_seconds)
        return results

    started = time.perf_counter()
    try:
        results = [r for rs in await asyncio.gather(*(caller(i) for i in range(count))) for r in rs]
        cpu = workers_cpu(pool) - cpu_before
        rss = workers_rss(pool)
    finally:
        await pool.aclose()
    wall = time.perf_counter() - started
    latencies = sorted(latency for latency, _ in results)
    return {
        "callers": count,
        "turns": len(results),
        "workers": pool.size,
        "decoders_per_worker": decoders,
        "workers_rss_mb_before_after": (round(rss_before), round(rss)),
        "worker_cpu_per_audio_second": round(cpu / audio_seconds, 3),
        "worker_cpu_per_turn_s": round(cpu / len(results), 3),
        "workers_busy_share_of_cores": round(cpu / wall / pool.size, 2),
        "final_after_end_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "final_after_end_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
        "final_after_end_max_ms": round(latencies[-1] * 1000, 1),
        "exact_transcripts": sum(exact for _, exact in results),
        "failed_turns": sum(latency == float("inf") for latency, _ in results),
    }


async def loop_stalls(speech: list[bytes], decodes: int = 4) -> dict:
    """Largest gap of a 10 ms ticker on the event loop while `decodes` turns are decoded: in the server's
    threads with the default search (the old provider), then in the worker pool (tuned, streamed)."""
    import threading

    from pocketsphinx import Decoder

    from app.voice.providers.speech_pool import SpeechPool

    pcm = b"".join(speech[2:4])
    local = threading.local()

    def in_thread() -> str:
        if not hasattr(local, "decoder"):
            local.decoder = Decoder(loglevel="FATAL", samprate=DECODER_RATE)
        return decode_before(local.decoder, pcm)

    async def ticking(work) -> float:
        gaps, running = [], True

        async def ticker() -> None:
            last = time.perf_counter()
            while running:
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        task = asyncio.create_task(ticker())
        await work
        running = False
        await task
        return max(gaps)

    from concurrent.futures import ThreadPoolExecutor

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(2) as threads:  # the old CPU pool: max(2, cores) threads
        await asyncio.gather(*(loop.run_in_executor(threads, in_thread) for _ in range(2)))  # warm decoders
        threaded = await ticking(asyncio.gather(*(loop.run_in_executor(threads, in_thread) for _ in range(decodes))))
    pool = SpeechPool()
    pool.start()
    await asyncio.to_thread(pool.wait_ready)

    async def in_worker() -> str:
        turn = pool.open_turn(RATE)
        turn.push(pcm)
        return await turn.finish()

    try:
        pooled = await ticking(asyncio.gather(*(in_worker() for _ in range(decodes))))
    finally:
        await pool.aclose()
    return {
        "decodes": decodes,
        "speech_seconds_each": round(len(pcm) / 2 / RATE, 1),
        "max_loop_gap_threads_ms": round(threaded * 1000),
        "max_loop_gap_workers_ms": round(pooled * 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pool", type=int, default=0, help="also run N callers through the worker pool")
    parser.add_argument("--nice", type=int, default=0, help="the workers' niceness (VOICEAI_STT_WORKER_NICE)")
    parser.add_argument("--loop", action="store_true", help="also measure event-loop stalls, threads vs workers")
    parser.add_argument("--decoders", type=int, default=4, help="streaming decoders per worker (VOICEAI_STT_DECODERS)")
    parser.add_argument("--pool-only", action="store_true", help="skip the in-process accuracy/CPU comparison")
    args = parser.parse_args()
    speech = [synthesize_blocking(text, "en", RATE) for text in SENTENCES]
    from pocketsphinx import Decoder

    rows = []
    if not args.pool_only:
        rows.append(
            measure(
                "before (default search, whole utterance at once)",
                Decoder(loglevel="FATAL", samprate=DECODER_RATE),
                decode_before,
                speech,
            )
        )
        rows.append(
            measure("after (DECODER_OPTIONS, 100 ms batches)", new_decoder(DECODER_OPTIONS), decode_after, speech)
        )
    for row in rows:
        print(
            f"{row['decoder']}: word accuracy {row['word_accuracy']:.1%}, "
            f"{row['cpu_per_speech_second']:.3f} CPU-s per speech-s ({row['speech_seconds']:.1f} s of speech)"
        )
    if args.loop:
        print(asyncio.run(loop_stalls(speech)))
    if args.pool:
        print(asyncio.run(pool_latency(args.pool, speech, nice=args.nice, decoders=args.decoders)))


if __name__ == "__main__":
    main()
