// The microphone as 20 ms frames of 16 kHz PCM16 for the browser test socket (see capture-worklet.js).

const WORKLET_URL = new URL("./capture-worklet.js", import.meta.url);

/** Browser voice processing on: the agent's voice from the speakers must not come back as a barge-in. */
export const MICROPHONE_CONSTRAINTS = {
  audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
};

export class Microphone {
  /** Ask for the microphone (throws the browser's NotAllowedError/NotFoundError) and start capturing.
   * `onframe(arrayBuffer, level)` is called every 20 ms with 640 bytes of 16 kHz PCM16 little-endian. */
  static async open(context, onframe) {
    await context.audioWorklet.addModule(WORKLET_URL);
    const stream = await navigator.mediaDevices.getUserMedia(MICROPHONE_CONSTRAINTS);
    return new Microphone(context, stream, onframe);
  }

  constructor(context, stream, onframe) {
    this.stream = stream;
    this.source = context.createMediaStreamSource(stream);
    this.node = new AudioWorkletNode(context, "pcm16-capture", { numberOfInputs: 1, numberOfOutputs: 1 });
    this.node.port.onmessage = (event) => {
      if (event.data && event.data.type === "frame") onframe(event.data.pcm, event.data.level);
    };
    this.source.connect(this.node);
    // The node outputs silence; being connected to the destination keeps the graph pulling it.
    this.node.connect(context.destination);
  }

  close() {
    this.node.port.postMessage({ type: "stop" });
    this.node.port.onmessage = null;
    this.source.disconnect();
    this.node.disconnect();
    for (const track of this.stream.getTracks()) track.stop();
  }
}
