"""A call, turn by turn: the agent opens, listens, answers from the script, and ends politely."""

from __future__ import annotations

import asyncio

import numpy as np

from app.calls.lifecycle import EndCommand, EndReason, TransferCommand
from app.voice.audio import frame_bytes
from app.voice.context import CustomerView
from app.voice.prompt import guardrail_instruction
from app.voice.providers.base import ProviderError, ToolCall
from app.voice.session import SessionState
from app.voice.session_config import SessionConfig
from tests.voice.fakes import GatedLLM
from tests.voice.harness import RATE, Call


async def test_the_agent_opens_with_the_recording_disclosure_then_the_opening_line():
    call = await Call.make(recording_disclosure="This call is being recorded for quality purposes.").start()
    await call.agent_quiet()
    assert call.agent_said() == [
        "This call is being recorded for quality purposes. Hi, this is Aria from Luminary Home. How can I help?"
    ]
    assert call.tts.spoken[0] == "This call is being recorded for quality purposes."
    assert call.output.count("mark") == 1
    end = await call.end()
    assert end.outcome == "connected" and end.end_reason == "caller_hangup"
    assert call.reporter.ends[0][1] is end


async def test_a_question_gets_the_scripted_answer_and_both_turns_are_transcribed():
    call = await Call.make().start()
    await call.agent_quiet()
    await call.say("Do you deliver to Mumbai?")
    await call.agent_quiet()
    assert call.caller_said() == ["Do you deliver to Mumbai?"]
    assert call.agent_said()[-1] == "Yes, we deliver to Mumbai within five days."
    stamps = [t for _, _, _, t in call.reporter.transcripts]
    assert stamps == sorted(stamps) and stamps[1] > 0
    await call.end()


async def test_outbound_audio_is_paced_in_real_time_in_20_ms_frames():
    call = await Call.make().start()
    await call.agent_quiet()
    times = call.output.times("audio")
    assert len(times) > 50
    assert all(len(f) == frame_bytes(RATE) for _, k, f in call.output.log if k == "audio")
    gaps = np.diff(times)
    assert abs(np.median(gaps) - 0.02) < 1e-6 and gaps.min() >= 0.02 - 1e-6
    await call.end()


async def test_first_audio_leaves_before_the_reply_is_complete():
    llm = GatedLLM(["Sure, we have", " a sale.", " It ends on", " Friday."], gated=True)
    call = await Call.make(llm=llm).start()
    await call.agent_quiet()
    before = call.output.count("audio")
    await call.say("Any offers?")
    llm.release(2)  # only the first sentence exists yet
    await call.silence(200)
    assert call.output.count("audio") > before
    assert call.tts.spoken[-1] == "Sure, we have a sale."
    llm.release(2)
    await call.agent_quiet()
    assert call.agent_said()[-1] == "Sure, we have a sale. It ends on Friday."
    await call.end()


async def test_the_prompt_carries_persona_guardrails_script_customer_and_history():
    llm = GatedLLM(["Okay."])
    call = await Call.make(
        llm=llm, customer=CustomerView(id="cus_1", name="Priya", metadata={"last_order": "oak desk"})
    ).start()
    await call.agent_quiet()
    await call.say("Hello there")
    await call.agent_quiet()
    system, *history = llm.calls[0]
    prompt = system["content"]
    assert "You are Aria, a friendly advisor" in prompt
    assert guardrail_instruction("no_price_fabrication") in prompt
    assert "Do you deliver to Mumbai?" in prompt and "Priya" in prompt and "oak desk" in prompt
    assert history == [
        {"role": "assistant", "content": "Hi, this is Aria from Luminary Home. How can I help?"},
        {"role": "user", "content": "Hello there"},
    ]
    await call.end()


async def test_goodbye_ends_the_call_with_the_end_call_tool_after_the_closing_line_is_heard():
    call = await Call.make().start()
    await call.agent_quiet()
    await call.say("Okay, bye")
    await call.until(lambda: call.session.ended.is_set())
    end = await call.session.wait()
    assert call.agent_said()[-1] == "Thanks for calling Luminary Home, goodbye!"
    assert end.end_reason == "agent_hangup" and end.outcome == "connected"


async def test_transfer_to_human_reports_transfer_initiated_and_hands_off():
    llm = GatedLLM(
        ["Connecting you now."],
        tools=[ToolCall("transfer_to_human", {"target": "sales", "agent_brief": "wants a quote"})],
    )
    call = await Call.make(llm=llm).start()
    await call.agent_quiet()
    await call.say("Let me talk to sales")
    await call.until(lambda: call.session.ended.is_set())
    end = await call.session.wait()
    assert call.reporter.statuses == [
        (call.session.call_id, "transfer_initiated", {"target": "sales", "agent_brief": "wants a quote"})
    ]
    assert end.outcome == "warm_transfer" and end.end_reason == "transfer"


async def test_workflow_commands_end_or_transfer_the_call():
    call = await Call.make().start()
    call.reporter.push(EndCommand(reason=EndReason.DNC_REQUEST))
    await call.silence(100)
    assert (await call.session.wait()).end_reason == "dnc_request"

    call = await Call.make().start()
    await call.silence(1000)
    call.reporter.push(TransferCommand(target="billing", agent_brief="refund"))
    await call.silence(100)
    end = await call.session.wait()
    assert end.outcome == "warm_transfer"
    assert call.reporter.statuses[0][1:] == ("transfer_initiated", {"target": "billing", "agent_brief": "refund"})
    # the part of the greeting already played stays in the transcript, the rest is dropped
    assert call.agent_said() and "Hi, this is Aria".startswith(call.agent_said()[0][:16])
    assert call.agent_said()[0] != call.session.context.script.opening_line


async def test_dtmf_digits_reach_the_llm_as_caller_input():
    llm = GatedLLM(["You pressed one."])
    call = await Call.make(llm=llm).start()
    await call.agent_quiet()
    await call.session.dtmf("1")
    await call.silence(100)
    await call.agent_quiet()
    assert llm.calls[0][-1] == {"role": "user", "content": "(keypad) 1"}
    assert call.caller_said() == ["(keypad) 1"]
    await call.end()


async def test_silence_gets_a_reprompt_then_a_polite_goodbye():
    config = SessionConfig(rate=RATE, silence_timeout=3, max_reprompts=1)
    call = await Call.make(config=config).start()
    await call.until(lambda: call.session.ended.is_set(), seconds=30)
    end = await call.session.wait()
    assert call.agent_said()[1:] == [config.reprompt_text, config.goodbye_text]
    assert end.end_reason == "silence"


async def test_speaking_resets_the_silence_timer():
    config = SessionConfig(rate=RATE, silence_timeout=3)
    call = await Call.make(config=config).start()
    await call.agent_quiet()
    await call.silence(2000)
    await call.say("Tell me more")
    await call.agent_quiet()
    await call.silence(2000)
    assert config.reprompt_text not in call.agent_said()
    await call.end()


async def test_max_call_duration_ends_the_call():
    call = await Call.make(flow_config={"max_call_duration_seconds": 2}).start()
    await call.until(lambda: call.session.ended.is_set(), seconds=5)
    end = await call.session.wait()
    assert end.end_reason == "max_duration" and end.duration_seconds == 2


def _voice_tasks(tasks: set[asyncio.Task]) -> set[asyncio.Task]:
    """Tasks running code of the voice pipeline (session parts, providers): other parts of the process (the
    loop-lag ticker, another test's servers) come and go on the same loop and are not the call's."""

    def voice(task: asyncio.Task) -> bool:
        code = getattr(task.get_coro(), "cr_code", None)
        return code is not None and "/app/voice/" in code.co_filename

    return {task for task in tasks if voice(task)}


async def test_every_task_of_the_session_ends_with_the_call():
    before = asyncio.all_tasks()
    call = await Call.make().start()
    await call.say("Do you deliver to Mumbai?", pause_ms=700)
    assert _voice_tasks(asyncio.all_tasks() - before)
    call.session.hangup()  # mid-reply
    await call.session.wait()
    await asyncio.sleep(0)
    assert not _voice_tasks(asyncio.all_tasks() - before)
    assert call.session.state == SessionState.ENDED


class BrokenLLM:
    async def stream(self, messages, tools):
        raise ProviderError("LLM answered 500")
        yield  # pragma: no cover


class BrokenSTT:
    async def transcribe(self, pcm, rate, language):
        raise ProviderError("STT answered 503")


async def test_a_failing_llm_gets_a_polite_fallback_not_a_dead_line():
    call = await Call.make(llm=BrokenLLM()).start()
    await call.agent_quiet()
    await call.say("Do you deliver to Mumbai?")
    await call.agent_quiet()
    assert call.agent_said()[-1] == SessionConfig().fallback_text
    assert not call.session.ended.is_set()
    await call.end()


async def test_a_failing_stt_is_ignored_and_the_call_goes_on():
    call = await Call.make().start()
    call.session.providers.stt = BrokenSTT()
    await call.agent_quiet()
    await call.say("Do you deliver to Mumbai?")
    await call.silence(500)
    assert call.caller_said() == [] and not call.session.ended.is_set()
    await call.end()


async def test_waiting_twice_for_the_end_tears_down_once():
    call = await Call.make().start()
    call.session.hangup()
    first, second = await asyncio.gather(call.session.wait(), call.session.wait())
    assert first is second and len(call.reporter.ends) == 1 and len(call.reporter.analyses) == 1
