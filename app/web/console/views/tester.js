// #/tester: talk to a flow's agent from the browser (/ws/browser-test/{flow_uuid}), no phone call.
//
// The section carries what tests and curious people can read without a debugger:
// data-state (idle | connecting | live | ending | ended | failed), data-played-samples and
// data-queued-samples (agent audio at 16 kHz), data-clears (barge-ins the server announced),
// data-dropped-samples (queued agent audio those clears threw away) and data-frames-sent (20 ms
// microphone frames that went out).

import { CallState, TestCall } from "../audio/test-call.js";

const FLOWS = `query TesterFlows { flows { uuid name kind status voiceAgent { name } } }`;

const STATUS = {
  idle: "Pick a flow, then press the microphone to start a test call.",
  connecting: "Connecting: allow the microphone if the browser asks…",
  live: "Live: speak to the agent. Press the microphone again to hang up.",
  ending: "Hanging up…",
  ended: "Call ended. Press the microphone to call again.",
  failed: "The call could not go on.",
};

// The console's CSP allows same-origin stylesheets only (no inline <style>): the view brings its own file.
const STYLESHEET = new URL("./tester.css", import.meta.url).href;

function ensureStylesheet() {
  if (document.querySelector(`link[href="${STYLESHEET}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = STYLESHEET;
  document.head.append(link);
}

const MIC_ICON = `<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor"
  d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2z"/></svg>`;

const SPEAKERS = { agent: "Agent", customer: "You", system: "" };

function flowLabel(flow) {
  const agent = flow.voiceAgent ? ` · ${flow.voiceAgent.name}` : "";
  return `${flow.name} (${flow.kind}, ${flow.status}${agent})`;
}

export async function render(root, ctx) {
  const { api } = ctx;
  ensureStylesheet();
  root.innerHTML = `
    <section class="tester" aria-labelledby="tester-title" data-state="idle" data-played-samples="0"
      data-queued-samples="0" data-clears="0" data-dropped-samples="0" data-frames-sent="0">
      <h1 id="tester-title">Flow tester</h1>
      <p>Talk to a flow's agent through your microphone, the way a caller would. Nothing is dialled; the
        call is kept as a <em>test</em> call.</p>
      <div class="tester-pick">
        <label for="tester-flow">Flow</label>
        <select id="tester-flow" name="flow"><option value="">Loading flows…</option></select>
      </div>
      <div class="tester-call">
        <button type="button" class="tester-mic" aria-pressed="false" aria-describedby="tester-status" disabled>
          ${MIC_ICON}<span class="tester-mic-label">Start call</span>
        </button>
        <div>
          <p class="tester-state" id="tester-status" role="status" aria-live="polite">${STATUS.idle}</p>
          <label>Microphone level <meter class="tester-level" min="0" max="1" low="0.02" high="0.5" optimum="0.2"
            value="0"></meter></label>
        </div>
      </div>
      <h2 id="tester-transcript-title">Transcript</h2>
      <p class="tester-empty">The conversation shows here as it happens.</p>
      <ol class="tester-transcript" aria-labelledby="tester-transcript-title" aria-live="polite"></ol>
    </section>`;
  const section = root.querySelector(".tester");
  const select = root.querySelector("#tester-flow");
  const button = root.querySelector(".tester-mic");
  const buttonLabel = root.querySelector(".tester-mic-label");
  const status = root.querySelector("#tester-status");
  const meter = root.querySelector(".tester-level");
  const transcript = root.querySelector(".tester-transcript");
  const empty = root.querySelector(".tester-empty");
  let call = null;
  let clears = 0;

  function line(speaker, text) {
    empty.hidden = true;
    const item = document.createElement("li");
    item.dataset.speaker = speaker;
    if (SPEAKERS[speaker]) {
      const who = document.createElement("span");
      who.className = "tester-who";
      who.textContent = SPEAKERS[speaker];
      item.append(who);
    }
    const said = document.createElement("span");
    said.className = "tester-text";
    said.textContent = text;
    item.append(said);
    transcript.append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function showState(state, message) {
    section.dataset.state = state;
    const live = state === CallState.CONNECTING || state === CallState.LIVE || state === CallState.ENDING;
    button.setAttribute("aria-pressed", String(live));
    buttonLabel.textContent = live ? "Hang up" : "Start call";
    button.disabled = state === CallState.ENDING || (!live && !select.value);
    select.disabled = live;
    status.textContent = message ? `${STATUS[state]} ${message}` : STATUS[state];
    if (!live) meter.value = 0;
  }

  function showPlayback(playback) {
    section.dataset.playedSamples = String(playback.playedSamples);
    section.dataset.queuedSamples = String(playback.queuedSamples);
  }

  function startCall() {
    const flow = select.value;
    transcript.replaceChildren();
    empty.hidden = false;
    clears = 0;
    section.dataset.clears = "0";
    section.dataset.droppedSamples = "0";
    section.dataset.framesSent = "0";
    call = new TestCall(api.wsUrl(`/ws/browser-test/${encodeURIComponent(flow)}`), {
      onstate: showState,
      ontranscript: (entry) => line(entry.speaker, entry.text),
      onclear: (dropped) => {
        clears += 1;
        dropped += Number(section.dataset.droppedSamples);
        section.dataset.clears = String(clears);
        section.dataset.droppedSamples = String(dropped);
      },
      onend: (end) => {
        const reason = String(end.end_reason || "").replace(/_/g, " ");
        line("system", `Call ended: ${end.outcome} (${reason}), ${end.duration_seconds} s.`);
      },
      onlevel: (level) => {
        meter.value = Math.min(1, level * 4);
        if (call) section.dataset.framesSent = String(call.framesSent);
      },
      onplayback: showPlayback,
    });
    call.start(); // never rejects: every failure becomes the "failed" state with a message
  }

  button.addEventListener("click", () => {
    if (call && !call.finished) call.hangUp();
    else if (select.value) startCall();
  });
  select.addEventListener("change", () => showState(section.dataset.state, ""));

  try {
    const { flows } = await api.graphql(FLOWS);
    select.replaceChildren(new Option(flows.length ? "Choose a flow…" : "No flows yet", ""));
    for (const flow of flows) select.append(new Option(flowLabel(flow), flow.uuid));
    showState(CallState.IDLE, "");
  } catch (error) {
    select.replaceChildren(new Option("Flows could not be loaded", ""));
    status.textContent = `Flows could not be loaded: ${error.message || error}`;
  }

  return () => {
    if (call) call.dispose();
    call = null;
  };
}
