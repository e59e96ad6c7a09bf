// The agent's voice on the audio thread: a FIFO of 16 kHz samples played gaplessly at the context rate.
//
// Messages in: {type: "push", samples: Float32Array at `rate`}, {type: "clear", generation} (barge-in: drop
// everything queued at once), {type: "stop"}. Messages out, every ~50 ms while there is news:
// {type: "stats", generation, played, queued} where `played` counts input samples played since the last
// clear (so the main thread can tell a stale report from a fresh one).
//
// The server paces audio in real time (one 20 ms frame every 20 ms), so network jitter would starve a
// buffer that plays the moment a frame arrives; playback starts once `prebuffer` seconds are queued, or
// once the first frame has waited that long (the tail of a short utterance). Upsampling 16 kHz to the
// context rate is linear interpolation: its images above 8 kHz are attenuated (sinc squared) and are
// inaudible next to the band-limited speech of the socket; a position carried across frames keeps it
// click-free at frame boundaries.

class Pcm16PlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const settings = (options && options.processorOptions) || {};
    this.rate = settings.rate || 16000;
    this.step = this.rate / sampleRate; // input samples per output sample
    this.prebuffer = Math.round((settings.prebufferSeconds ?? 0.06) * this.rate);
    this.chunks = []; // Float32Arrays not yet fully played
    this.queued = 0; // input samples in `chunks` not yet played
    this.position = 0; // fractional read position in chunks[0]
    this.playing = false;
    this.waited = 0; // output samples waited while buffering with something queued
    this.generation = 0;
    this.played = 0;
    this.reported = -1;
    this.sinceReport = 0;
    this.running = true;
    this.port.onmessage = (event) => this.receive(event.data);
  }

  receive(message) {
    if (!message) return;
    if (message.type === "push") {
      this.chunks.push(message.samples);
      this.queued += message.samples.length;
    } else if (message.type === "clear") {
      this.chunks = [];
      this.queued = 0;
      this.position = 0;
      this.playing = false;
      this.waited = 0;
      this.generation = message.generation;
      this.played = 0;
      this.report();
    } else if (message.type === "stop") {
      this.running = false;
    }
  }

  report() {
    const partial = this.chunks.length > 0 ? Math.floor(this.position) : 0;
    const played = this.played + partial;
    this.port.postMessage({ type: "stats", generation: this.generation, played, queued: this.queued - partial });
    this.reported = played;
    this.sinceReport = 0;
  }

  /** The interpolated sample at the read position; whole chunks behind it are dropped as played. */
  read() {
    const chunk = this.chunks[0];
    const index = Math.floor(this.position);
    const fraction = this.position - index;
    const current = chunk[index];
    const after = this.chunks.length > 1 ? this.chunks[1][0] : current;
    const following = index + 1 < chunk.length ? chunk[index + 1] : after;
    this.position += this.step;
    while (this.chunks.length > 0 && this.position >= this.chunks[0].length) {
      const finished = this.chunks.shift();
      this.position -= finished.length; // carry the fractional overshoot into the next chunk
      this.queued -= finished.length;
      this.played += finished.length;
    }
    return current + (following - current) * fraction;
  }

  process(inputs, outputs) {
    if (!this.running) return false;
    const output = outputs[0];
    const channel = output[0];
    if (!this.playing && this.queued > 0) {
      this.waited += channel.length;
      if (this.queued >= this.prebuffer || (this.waited * this.step) >= this.prebuffer) this.playing = true;
    }
    for (let i = 0; i < channel.length; i++) {
      if (this.playing && this.chunks.length > 0) {
        channel[i] = this.read();
      } else {
        channel[i] = 0;
        if (this.playing) {
          this.playing = false; // ran dry: buffer again before the next utterance
          this.waited = 0;
        }
      }
    }
    for (let c = 1; c < output.length; c++) output[c].set(channel);
    this.sinceReport += channel.length;
    if (this.sinceReport >= sampleRate / 20 && (this.queued > 0 || this.played !== this.reported)) this.report();
    return true;
  }
}

registerProcessor("pcm16-playback", Pcm16PlaybackProcessor);
