// One browser test call: the microphone, the agent's voice and the /ws/browser-test socket together,
// as an explicit state machine the view renders.
//
// Socket contract (app/voice/transports/browser.py): out, binary 16 kHz PCM16 LE frames and
// {"type": "stop"}; in, binary agent audio in the same format, {"type": "transcript", speaker, text,
// timestamp}, {"type": "clear"} (barge-in: drop queued agent audio), {"type": "end", outcome, end_reason,
// duration_seconds}. Close codes 4401 (token refused) and 4404 (no such flow in this organisation).

import { AgentPlayback } from "./playback.js";
import { Microphone } from "./microphone.js";

export const SOCKET_RATE = 16000;

export const CallState = Object.freeze({
  IDLE: "idle",
  CONNECTING: "connecting",
  LIVE: "live",
  ENDING: "ending",
  ENDED: "ended",
  FAILED: "failed",
});

const NEXT = {
  idle: ["connecting"],
  connecting: ["live", "ending", "ended", "failed"],
  live: ["ending", "ended", "failed"],
  ending: ["ended", "failed"],
  ended: [],
  failed: [],
};

const CLOSE_REASONS = {
  4401: "The server refused the sign-in token. Sign in again.",
  4404: "This flow was not found in your organisation.",
};

export class TestCall {
  /** `handlers`: onstate(state, message), ontranscript(entry), onclear(droppedSamples), onend(end), onlevel(level),
   * onplayback(playback). */
  constructor(url, handlers = {}) {
    this.url = url;
    this.handlers = handlers;
    this.state = CallState.IDLE;
    this.end = null;
    this.context = null;
    this.playback = null;
    this.microphone = null;
    this.socket = null;
    this.framesSent = 0;
  }

  emit(name, ...args) {
    const handler = this.handlers[name];
    if (handler) handler(...args);
  }

  move(state, message = "") {
    if (this.state === state) return;
    if (!NEXT[this.state].includes(state)) throw new Error(`test call: ${this.state} -> ${state} is not a transition`);
    this.state = state;
    this.emit("onstate", state, message);
  }

  get finished() {
    return this.state === CallState.ENDED || this.state === CallState.FAILED;
  }

  /** Open the audio graph and the microphone, then the socket. Call it from a click (autoplay rules).
   * Never rejects: a failure is the FAILED state with a message for people. */
  async start() {
    this.move(CallState.CONNECTING);
    try {
      this.context = new AudioContext({ latencyHint: "interactive" });
      await this.context.resume();
      this.playback = await AgentPlayback.create(this.context, { rate: SOCKET_RATE });
      this.playback.onchange = (playback) => this.emit("onplayback", playback);
      const microphone = await Microphone.open(this.context, (pcm, level) => this.send(pcm, level));
      if (this.finished) {
        microphone.close(); // disposed while the microphone prompt was open
        return;
      }
      this.microphone = microphone;
    } catch (error) {
      this.fail(microphoneProblem(error));
      return;
    }
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.fail(`Could not reach the voice server: ${error.message || error}`);
      return;
    }
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      if (this.state === CallState.CONNECTING) this.move(CallState.LIVE);
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.closed(event);
    this.socket = socket;
  }

  send(pcm, level) {
    this.emit("onlevel", level);
    if (this.state === CallState.LIVE && this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(pcm);
      this.framesSent += 1;
    }
  }

  receive(data) {
    if (data instanceof ArrayBuffer) {
      if (this.playback && !this.finished) this.playback.push(data);
      return;
    }
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return; // not ours to crash on: the server only sends JSON text frames
    }
    if (message.type === "transcript") {
      this.emit("ontranscript", { speaker: message.speaker, text: message.text, timestamp: message.timestamp });
    } else if (message.type === "clear") {
      const dropped = this.playback ? this.playback.queuedSamples : 0;
      if (this.playback) this.playback.clear();
      this.emit("onclear", dropped);
    } else if (message.type === "end") {
      this.end = message;
      this.emit("onend", message);
    }
  }

  /** Hang up: the server ends the call and answers with {"type": "end"} before closing. */
  hangUp() {
    if (this.state === CallState.CONNECTING && !this.socket) {
      this.dispose();
      return;
    }
    if (this.state !== CallState.LIVE && this.state !== CallState.CONNECTING) return;
    this.move(CallState.ENDING);
    this.stopMicrophone();
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: "stop" }));
      this.closeTimer = setTimeout(() => this.socket && this.socket.close(1000), 3000);
    } else if (this.socket) {
      this.socket.close(1000);
    }
  }

  closed(event) {
    clearTimeout(this.closeTimer);
    this.stopMicrophone();
    if (this.finished) return;
    const reason = CLOSE_REASONS[event.code];
    if (reason) {
      this.fail(reason);
    } else if (this.state === CallState.CONNECTING) {
      this.fail("Could not reach the voice server.");
    } else {
      this.move(CallState.ENDED);
      this.releaseAudioLater();
    }
  }

  fail(message) {
    if (this.finished) return;
    this.move(CallState.FAILED, message);
    this.stopMicrophone();
    this.releaseAudioLater();
  }

  stopMicrophone() {
    if (this.microphone) {
      this.microphone.close();
      this.microphone = null;
    }
  }

  /** The agent's last words may still be queued when the socket closes: let them play out. */
  releaseAudioLater() {
    const left = this.playback ? this.playback.queuedSamples / SOCKET_RATE : 0;
    this.releaseTimer = setTimeout(() => this.releaseAudio(), (left + 0.25) * 1000);
  }

  releaseAudio() {
    clearTimeout(this.releaseTimer);
    if (this.playback) {
      this.playback.close();
      this.playback = null;
    }
    if (this.context) {
      this.context.close().catch(() => {});
      this.context = null;
    }
  }

  /** Leave now (route change): no waiting for the server's goodbye. */
  dispose() {
    clearTimeout(this.closeTimer);
    const socket = this.socket;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "stop" }));
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(1000);
    }
    this.stopMicrophone();
    this.releaseAudio();
    if (!this.finished) {
      this.state = CallState.ENDED;
      this.emit("onstate", CallState.ENDED, "");
    }
  }
}

function microphoneProblem(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "Microphone access was refused. Allow it in the browser and try again.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") return "No microphone was found.";
  return `Could not start audio: ${(error && error.message) || error}`;
}
