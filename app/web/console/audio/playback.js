// The agent's voice in the page: PCM16 frames from the socket queued on the playback worklet.
//
// `push(arrayBuffer)` queues one binary frame (16-bit little-endian mono at `rate`); `clear()` drops all
// queued audio at once (the server's {"type": "clear"} on barge-in). `playedSamples` and `queuedSamples`
// are in samples at `rate`; `queuedSamples` is 0 the moment `clear()` returns, and reports the worklet
// sent before the clear are ignored (each clear starts a new generation).

const WORKLET_URL = new URL("./playback-worklet.js", import.meta.url);

export class AgentPlayback {
  /** Load the worklet into `context` and connect it to the speakers. */
  static async create(context, { rate = 16000, prebufferSeconds = 0.06 } = {}) {
    await context.audioWorklet.addModule(WORKLET_URL);
    const node = new AudioWorkletNode(context, "pcm16-playback", {
      numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1],
      processorOptions: { rate, prebufferSeconds },
    });
    node.connect(context.destination);
    return new AgentPlayback(node, rate);
  }

  constructor(node, rate) {
    this.node = node;
    this.rate = rate;
    this.generation = 0;
    this.pushed = 0; // samples pushed since the last clear
    this.playedInGeneration = 0;
    this.playedBefore = 0; // samples played in earlier generations
    this.clears = 0;
    this.onchange = null;
    node.port.onmessage = (event) => this.stats(event.data);
  }

  get playedSamples() {
    return this.playedBefore + this.playedInGeneration;
  }

  get queuedSamples() {
    return Math.max(0, this.pushed - this.playedInGeneration);
  }

  push(buffer) {
    const view = new DataView(buffer);
    const samples = new Float32Array(Math.floor(buffer.byteLength / 2));
    for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true) / 0x8000;
    this.pushed += samples.length;
    this.node.port.postMessage({ type: "push", samples }, [samples.buffer]);
    this.changed();
  }

  clear() {
    this.generation += 1;
    this.clears += 1;
    this.playedBefore += this.playedInGeneration;
    this.playedInGeneration = 0;
    this.pushed = 0;
    this.node.port.postMessage({ type: "clear", generation: this.generation });
    this.changed();
  }

  stats(message) {
    if (!message || message.type !== "stats" || message.generation !== this.generation) return;
    this.playedInGeneration = message.played;
    this.changed();
  }

  changed() {
    if (this.onchange) this.onchange(this);
  }

  close() {
    this.node.port.postMessage({ type: "stop" });
    this.node.port.onmessage = null;
    this.node.disconnect();
  }
}
