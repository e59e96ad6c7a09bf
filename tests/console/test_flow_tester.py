"""The flow tester at /console/#/tester: pick a flow, press the microphone, talk to the agent through
/ws/browser-test with Chromium's fake microphone (a WAV of "yes I am interested please tell me more"), and
hear it answer. The server runs the offline providers: pocketsphinx, espeak-ng and the scripted policy."""

from __future__ import annotations

import json
import math
import secrets
from typing import Any

import numpy as np
from playwright.async_api import expect

from tests.console.conftest import TOKEN_KEY, screenshot_path

GREETING = "Hello, this is Aria from Luminary Home."
TALKING_POINT = "Our sofas come with a ten year warranty and free delivery."
RATE = 16000

CREATE_AGENT = "mutation($i: CreateVoiceAgentInput!) { createAgent(input: $i) { uuid } }"
CREATE_SCRIPT = "mutation($i: CreateScriptInput!) { createScript(input: $i) { uuid } }"
CREATE_FLOW = "mutation($i: CreateFlowInput!) { createFlow(input: $i) { uuid name } }"
TEST_CALLS = 'query($flow: String) { calls(callType: "test", flowUuid: $flow) { calls { callType } } }'


async def mutate(client, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    answer = await client.graphql(query, variables)
    assert not answer.get("errors"), answer
    return next(iter(answer["data"].values()))


async def create_tester_flow(client) -> dict[str, Any]:
    """A flow with an agent and a script: the greeting, then one talking point for whatever the caller says."""
    agent = await mutate(
        client,
        CREATE_AGENT,
        {"i": {"name": "Aria", "role": "Sales", "voiceConfig": {"provider": "sarvam", "speaker": "shubh"}}},
    )
    script = await mutate(
        client,
        CREATE_SCRIPT,
        {
            "i": {
                "name": "Sofa offer",
                "openingLine": GREETING,
                "talkingPoints": [TALKING_POINT],
                "closingLine": "Thank you, goodbye!",
            }
        },
    )
    return await mutate(
        client,
        CREATE_FLOW,
        {
            "i": {
                "kind": "inbound",
                "name": "Sofa offer",
                "provider": "sarvam",
                "status": "active",
                "voiceAgentId": agent["uuid"],
                "scriptId": script["uuid"],
                "phoneNumber": f"+9196{secrets.randbelow(10**8):08d}",
                "config": {"persona_prompt": "You are Aria."},
            }
        },
    )


async def signed_in(context, client) -> None:
    await context.add_init_script(f"window.sessionStorage.setItem({json.dumps(TOKEN_KEY)}, {json.dumps(client.token)})")


async def test_the_tester_talks_with_a_flows_agent_and_plays_its_voice(server, client, context, page):
    flow = await create_tester_flow(client)
    await signed_in(context, client)
    await page.goto(server.url("/console/#/tester"))
    tester = page.locator("section.tester")
    await page.get_by_label("Flow", exact=True).select_option(flow["uuid"])
    microphone = page.get_by_role("button", name="Start call")
    await expect(microphone).to_have_attribute("aria-pressed", "false")
    await microphone.click()

    await expect(tester).to_have_attribute("data-state", "live")
    await expect(page.get_by_role("button", name="Hang up")).to_have_attribute("aria-pressed", "true")
    agent = page.locator('.tester-transcript li[data-speaker="agent"] .tester-text')
    caller = page.locator('.tester-transcript li[data-speaker="customer"] .tester-text')
    await expect(agent.nth(1)).to_have_text(TALKING_POINT, timeout=20_000)
    turns = await page.locator(".tester-transcript li").evaluate_all("items => items.map(i => i.dataset.speaker)")
    # The greeting the caller talked over is written when it settles (what was heard of it), which can be just
    # after the caller's words on a loaded machine: either order, then the agent's reply.
    assert turns[:3] in (["agent", "customer", "agent"], ["customer", "agent", "agent"]), turns
    # The fake microphone starts talking half a second in, over the greeting: the transcript keeps the part
    # of the greeting that was heard, whatever pocketsphinx made of the caller's words comes next.
    greeting = await agent.first.text_content()
    assert greeting and GREETING.startswith(greeting.rstrip(".")), greeting
    assert await caller.first.text_content()
    # The agent's voice reached the speakers: seconds of 16 kHz samples played, not just received.
    played = int(await tester.get_attribute("data-played-samples"))
    assert played > 2 * RATE, played
    assert int(await tester.get_attribute("data-frames-sent")) > 100  # 2 s of 20 ms microphone frames
    await page.screenshot(path=str(screenshot_path("tester")), full_page=True)

    await page.get_by_role("button", name="Hang up").click()
    await expect(tester).to_have_attribute("data-state", "ended")
    await expect(page.locator('.tester-transcript li[data-speaker="system"]')).to_contain_text("caller hangup")
    await expect(page.get_by_role("button", name="Start call")).to_have_attribute("aria-pressed", "false")
    calls = (await client.graphql(TEST_CALLS, {"flow": flow["uuid"]}))["data"]["calls"]["calls"]
    assert [call["callType"] for call in calls] == ["test"]


async def test_talking_over_the_agent_stops_its_voice_in_the_browser(server, client, context, page):
    """A real barge-in: the caller speaks while the greeting plays, the server sends clear, and the
    browser drops the greeting's queued audio; the heard part of the greeting is all the transcript keeps."""
    flow = await create_tester_flow(client)
    await signed_in(context, client)
    await page.goto(server.url("/console/#/tester"))
    tester = page.locator("section.tester")
    await page.get_by_label("Flow", exact=True).select_option(flow["uuid"])
    await page.get_by_role("button", name="Start call").click()
    agent = page.locator('.tester-transcript li[data-speaker="agent"] .tester-text')
    await expect(agent.first).not_to_be_empty(timeout=20_000)
    await expect(tester).not_to_have_attribute("data-clears", "0")
    greeting = await agent.first.text_content()
    # What was heard of the greeting: with the two-step barge-in (issue 15) the clear waits for ~200 ms of
    # voiced speech, so on a loaded machine the short greeting may all have been sent (and heard) by then.
    assert greeting and GREETING.startswith(greeting), greeting
    assert int(await tester.get_attribute("data-queued-samples")) < RATE // 5  # nothing of the rest left
    await page.get_by_role("button", name="Hang up").click()
    await expect(tester).to_have_attribute("data-state", "ended")


PLAYBACK_AND_CLEAR = """async () => {
  const { AgentPlayback } = await import("/console/audio/playback.js");
  const context = new AudioContext();
  await context.resume();
  const playback = await AgentPlayback.create(context);
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  const frame = (index) => {
    const buffer = new ArrayBuffer(640);
    const view = new DataView(buffer);
    for (let i = 0; i < 320; i++) {
      view.setInt16(i * 2, Math.round(8000 * Math.sin(2 * Math.PI * 440 * (index * 320 + i) / 16000)), true);
    }
    return buffer;
  };
  for (let index = 0; index < 150; index++) playback.push(frame(index));  // 3 s queued at once
  await sleep(400);
  const before = { played: playback.playedSamples, queued: playback.queuedSamples };
  playback.clear();
  const atClear = { played: playback.playedSamples, queued: playback.queuedSamples };
  for (let index = 0; index < 5; index++) playback.push(frame(index));  // the agent's next 100 ms
  await sleep(600);
  const after = { played: playback.playedSamples, queued: playback.queuedSamples, clears: playback.clears };
  playback.close();
  await context.close();
  return { before, atClear, after };
}"""


async def test_a_clear_drops_the_queued_agent_voice_at_once_and_the_next_words_play_straight_away(server, page):
    await page.goto(server.url("/console/"))
    result = await page.evaluate(PLAYBACK_AND_CLEAR)
    before, at_clear, after = result["before"], result["atClear"], result["after"]
    assert 0 < before["played"] < RATE and before["queued"] > 2 * RATE, result  # playing, seconds still queued
    assert at_clear["queued"] == 0, result
    # The worklet threw the old queue away: the 100 ms pushed after the clear played at once, behind nothing.
    assert after == {"played": at_clear["played"] + 1600, "queued": 0, "clears": 1}, result


CAPTURE = """async ([rate, frequency]) => {
  const context = new OfflineAudioContext(1, rate, rate);  // one second, rendered faster than real time
  await context.audioWorklet.addModule("/console/audio/capture-worklet.js");
  const node = new AudioWorkletNode(context, "pcm16-capture");
  const frames = [];
  node.port.onmessage = (event) => frames.push(Array.from(new Uint8Array(event.data.pcm)));
  const tone = new OscillatorNode(context, { frequency });
  const gain = new GainNode(context, { gain: 0.5 });
  tone.connect(gain).connect(node);
  node.connect(context.destination);
  tone.start();
  await context.startRendering();
  await new Promise((done) => setTimeout(done, 200));
  return frames;
}"""


async def capture(page, rate: int, frequency: float) -> tuple[list[int], np.ndarray]:
    frames = await page.evaluate(CAPTURE, [rate, frequency])
    pcm = b"".join(bytes(frame) for frame in frames)
    return [len(frame) for frame in frames], np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768


async def test_the_microphone_is_resampled_to_16_khz_pcm16_frames_without_aliasing(server, page):
    await page.goto(server.url("/console/"))
    for rate in (48000, 44100):
        sizes, speech_band = await capture(page, rate, 1000)
        assert set(sizes) == {640} and len(sizes) >= 48, (rate, len(sizes))  # 20 ms frames of 16 kHz PCM16
        spectrum = np.abs(np.fft.rfft(speech_band))
        peak = np.argmax(spectrum) * RATE / len(speech_band)
        assert abs(peak - 1000) < 20, (rate, peak)  # the right pitch, so the right output rate
        assert abs(np.sqrt(np.mean(speech_band[800:] ** 2)) - 0.5 / math.sqrt(2)) < 0.02, rate  # level kept
        # 12 kHz cannot exist at 16 kHz: without the low-pass it would fold back to 4 kHz at full level.
        _, hiss = await capture(page, rate, 12000)
        assert np.sqrt(np.mean(hiss[800:] ** 2)) < 0.005, (rate, np.sqrt(np.mean(hiss**2)))


async def test_a_flow_deleted_meanwhile_is_reported_and_no_call_starts(server, client, context, page):
    flow = await create_tester_flow(client)
    await signed_in(context, client)
    await page.goto(server.url("/console/#/tester"))
    tester = page.locator("section.tester")
    await page.get_by_label("Flow", exact=True).select_option(flow["uuid"])
    await mutate(client, "mutation($u: ID!) { deleteFlow(uuid: $u) { uuid } }", {"u": flow["uuid"]})
    await page.get_by_role("button", name="Start call").click()
    await expect(tester).to_have_attribute("data-state", "failed")
    await expect(page.get_by_role("status").filter(has_text="not found")).to_contain_text(
        "This flow was not found in your organisation."
    )
    await expect(page.get_by_role("button", name="Start call")).to_have_attribute("aria-pressed", "false")
    assert await page.evaluate("document.querySelectorAll('.tester-transcript li').length") == 0
