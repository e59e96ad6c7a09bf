// The microphone side of the flow tester, running on the audio thread.
//
// In: the microphone at the AudioContext's rate (`sampleRate`: 48 kHz or 44.1 kHz on most machines).
// Out (to the main thread, one message per 20 ms): {type: "frame", pcm: ArrayBuffer of 320 Int16
// little-endian samples at 16 kHz, level: RMS 0..1}. The socket /ws/browser-test takes exactly that.
//
// Resampling, and why this way: a Blackman-windowed sinc FIR low-pass at the input rate (cutoff 7 kHz,
// about 2 taps per kHz of input rate: 97 at 48 kHz; flat to 6 kHz, -6 dB at 7 kHz, -39 dB at 8 kHz,
// below -75 dB from 8.5 kHz up) removes what would fold back into the 0-8 kHz band of the 16 kHz
// output; then each output sample is read by linear interpolation between the two filtered input samples
// around its instant. Only the filtered samples that outputs need are computed (two FIR sums per output
// sample), so the cost follows the 16 kHz output, not the input rate. At 48 kHz the instants fall on
// every third input sample and the interpolation is an exact decimation by 3; at 44.1 kHz it is
// fractional. Linear interpolation alone (no filter) would alias the 8-24 kHz band (fans, keyboard
// clicks, sibilants) into speech; on a band-limited, ~3x oversampled signal its own error is small.

const OUTPUT_RATE = 16000;
const FRAME_SAMPLES = OUTPUT_RATE / 50; // 20 ms
const CUTOFF_HZ = 7000;

/** Blackman-windowed sinc low-pass taps, normalised to unity gain at DC. */
function lowPassTaps(inputRate, cutoffHz) {
  const count = (Math.ceil((2 * inputRate) / 1000) | 1); // odd: a centred, linear-phase filter
  const taps = new Float32Array(count);
  const middle = (count - 1) / 2;
  const normalised = cutoffHz / inputRate;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const x = i - middle;
    const sinc = x === 0 ? 2 * normalised : Math.sin(2 * Math.PI * normalised * x) / (Math.PI * x);
    const phase = (2 * Math.PI * i) / (count - 1);
    const window = 0.42 - 0.5 * Math.cos(phase) + 0.08 * Math.cos(2 * phase);
    taps[i] = sinc * window;
    sum += taps[i];
  }
  for (let i = 0; i < count; i++) taps[i] /= sum;
  return taps;
}

class Pcm16CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / OUTPUT_RATE; // input samples per output sample
    this.taps = this.step > 1 ? lowPassTaps(sampleRate, CUTOFF_HZ) : new Float32Array([1]);
    // Input history: enough for the filter and one quantum, as a linear buffer that is compacted.
    this.history = new Float32Array(this.taps.length + 4096);
    this.length = 0; // valid samples in history
    this.offset = 0; // absolute input index of history[0]
    this.next = 0; // absolute (fractional) input index of the next output sample, filter delay included
    this.delay = (this.taps.length - 1) / 2;
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
    this.energy = 0;
    this.running = true;
    this.port.onmessage = (event) => {
      if (event.data && event.data.type === "stop") this.running = false;
    };
  }

  /** The filtered value centred on absolute input index `index` (which must be in the history). */
  filtered(index) {
    const taps = this.taps;
    const start = index - this.delay - this.offset;
    let acc = 0;
    for (let k = 0; k < taps.length; k++) acc += taps[k] * this.history[start + k];
    return acc;
  }

  append(samples) {
    if (this.length + samples.length > this.history.length) {
      // Keep only what the filter still needs behind the next output instant.
      const keepFrom = Math.max(0, Math.floor(this.next) - this.delay - this.offset - 1);
      this.history.copyWithin(0, keepFrom, this.length);
      this.length -= keepFrom;
      this.offset += keepFrom;
      if (this.length + samples.length > this.history.length) {
        const bigger = new Float32Array((this.length + samples.length) * 2);
        bigger.set(this.history.subarray(0, this.length));
        this.history = bigger;
      }
    }
    this.history.set(samples, this.length);
    this.length += samples.length;
  }

  emit(value) {
    const clamped = Math.max(-1, Math.min(1, value));
    this.frame[this.filled++] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
    this.energy += clamped * clamped;
    if (this.filled === FRAME_SAMPLES) {
      // Int16Array uses the platform's byte order, which is little-endian on every browser platform;
      // the DataView keeps it explicit anyway.
      const pcm = new ArrayBuffer(FRAME_SAMPLES * 2);
      const view = new DataView(pcm);
      for (let i = 0; i < FRAME_SAMPLES; i++) view.setInt16(i * 2, this.frame[i], true);
      const level = Math.sqrt(this.energy / FRAME_SAMPLES);
      this.port.postMessage({ type: "frame", pcm, level }, [pcm]);
      this.filled = 0;
      this.energy = 0;
    }
  }

  process(inputs) {
    if (!this.running) return false;
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const channel = input[0];
    if (input.length > 1) {
      // Downmix: average the channels (a stereo microphone or a browser that ignores channelCount: 1).
      const mixed = new Float32Array(channel.length);
      for (const data of input) for (let i = 0; i < data.length; i++) mixed[i] += data[i] / input.length;
      this.append(mixed);
    } else {
      this.append(channel);
    }
    const end = this.offset + this.length; // one past the last absolute input index held
    // An output at instant t needs filtered(floor t) and filtered(floor t + 1), each `delay` samples ahead.
    while (Math.floor(this.next) + 1 + this.delay < end) {
      const base = Math.floor(this.next);
      const fraction = this.next - base;
      if (base - this.delay < this.offset) {
        this.next += this.step; // the very first instants: no history behind them yet
        continue;
      }
      const a = this.filtered(base);
      const value = fraction === 0 ? a : a + (this.filtered(base + 1) - a) * fraction;
      this.emit(value);
      this.next += this.step;
    }
    return true;
  }
}

registerProcessor("pcm16-capture", Pcm16CaptureProcessor);
