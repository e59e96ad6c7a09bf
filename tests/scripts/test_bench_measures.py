"""The bench's pacing measures (issue 13, problem 4): a freeze inside a reply is a stall and shows in the
jitter wherever it falls, between two chunks of a sentence or between two sentences of one reply."""

from __future__ import annotations

from scripts.loadgen.measures import percentile, reply_pacing, spread, stalls


def paced(start: float, chunks: int, last: bool = True) -> list[tuple[float, float, int]]:
    """`chunks` chunks of 100 ms audio arriving on time, the last one followed by a mark."""
    return [(start + 0.1 * i, 0.1, int(last and i == chunks - 1)) for i in range(chunks)]


def test_a_reply_on_time_has_no_stall_and_no_jitter():
    jitter, gaps = reply_pacing(paced(0.0, 20))
    assert stalls(gaps) == [] and max(jitter) < 1e-6


def test_a_400_ms_freeze_inside_a_sentence_is_one_stall_of_400_ms():
    reply = paced(0.0, 5, last=False) + paced(0.9, 5)  # the 6th chunk is due at 0.5 s, arrives at 0.9 s
    jitter, gaps = reply_pacing(reply)
    assert [round(s) for s in stalls(gaps)] == [400]
    assert round(max(jitter)) == 400 and round(percentile(jitter, 0.99)) == 400


def test_a_freeze_between_two_sentences_of_one_reply_counts_too():
    """The old measure split replies at marks (and any long gap), so exactly this freeze read as zero."""
    reply = paced(0.0, 5) + paced(0.9, 5)
    jitter, gaps = reply_pacing(reply)
    assert [round(s) for s in stalls(gaps)] == [400] and round(max(jitter)) == 400


def test_the_padded_last_chunk_sent_at_the_mark_is_not_jitter_and_a_short_hiccup_is_not_a_stall():
    reply = [*paced(0.0, 4, last=False), (0.32, 0.1, 1), *paced(0.45, 5)]  # flush 80 ms early; 50 ms late
    jitter, gaps = reply_pacing(reply)
    assert gaps == []  # the padding plays while the next sentence starts
    assert round(max(jitter)) == 30  # the pair ending in the flush is skipped; the next one is 30 ms late


def test_the_pace_ahead_interval_that_opens_each_utterance_is_not_jitter():
    """The player sends chunk 0 at once and chunk 1 one chunk minus its 40 ms margin later (by design), in the
    first utterance of a reply and again after each mark; later intervals still count."""

    def utterance(start: float) -> list[tuple[float, float, int]]:
        return [
            (start, 0.2, 0),
            (start + 0.14, 0.2, 0),
            *[(start + 0.14 + 0.2 * i, 0.2, 0) for i in range(1, 3)],
            (start + 0.74, 0.2, 1),
        ]

    jitter, gaps = reply_pacing(utterance(0.0) + utterance(0.94))
    assert gaps == [] and max(jitter) < 1e-6
    late = utterance(0.0)
    late[3] = (late[3][0] + 0.03, 0.2, 0)  # one steady-state chunk 30 ms late still shows
    assert round(max(reply_pacing(late)[0])) == 30


def test_spread_reports_n_p50_p99_max():
    assert spread([]) == {"n": 0, "p50": None, "p99": None, "max": None}
    assert spread([float(v) for v in range(1, 101)]) == {"n": 100, "p50": 50.5, "p99": 99.0, "max": 100.0}
