// One agent reply's latency as a small waterfall: consecutive stages from the caller's end of speech to the
// first agent audio sent (endpoint → STT → LLM → TTS → first audio), drawn as inline SVG with each stage's ms.
// The SVG carries a <title> and <desc> listing every stage, so it reads the same without seeing it.

const SVG = "http://www.w3.org/2000/svg";
export const STAGES = [
  ["endpointMs", "endpoint", "#8a94a6"],
  ["sttMs", "STT", "#2f5bd3"],
  ["queueMs", "queue", "#c3cad6"],
  ["llmMs", "LLM", "#6b4fbb"],
  ["sentenceMs", "sentence", "#a48fe0"],
  ["ttsMs", "TTS", "#1f7a3a"],
  ["sendMs", "send", "#9a6700"],
];
let count = 0;

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// Live events carry the stored JSON (snake_case); GraphQL answers camelCase. Either goes in.
export function camelLatency(latency) {
  if (!latency || !("voice_to_voice_ms" in latency)) return latency;
  return Object.fromEntries(Object.entries(latency).map(([key, value]) =>
    [key.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase()), value]));
}

// `scale`: ms per full width, shared by every turn of the call so the bars compare.
export function waterfall(given, { scale = 2000, width = 560, height = 34 } = {}) {
  const latency = camelLatency(given);
  const id = `waterfall-${++count}`;
  const parts = STAGES.filter(([key]) => latency[key] != null).map(([key, name, color]) => ({ key, name, color, ms: latency[key] }));
  const total = latency.voiceToVoiceMs;
  const figure = document.createElement("figure");
  figure.className = "waterfall";
  figure.dataset.testid = "waterfall";
  figure.dataset.voiceToVoice = total == null ? "" : String(total);
  if (latency.interrupted) figure.dataset.interrupted = "";
  const summary = parts.map((part) => `${part.name} ${part.ms} ms`).join(", ");
  const heard = latency.interrupted ? `interrupted: heard ${seconds(latency.heardMs)} of ${seconds(latency.spokenMs)}` : "";
  const title = total == null ? "Reply latency" : `Voice to voice ${total} ms`;
  const drawing = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-labelledby": `${id}-title ${id}-desc` });
  drawing.append(svg("title", { id: `${id}-title` }, title),
    svg("desc", { id: `${id}-desc` }, [summary, heard].filter(Boolean).join("; ")));
  let x = 0;
  for (const part of parts) {
    const length = Math.max(1, (part.ms / scale) * width);
    const group = svg("g", { "data-stage": part.name, "data-ms": part.ms });
    group.append(svg("rect", { x: x.toFixed(1), y: 4, width: length.toFixed(1), height: 14, fill: part.color }),
      svg("title", {}, `${part.name}: ${part.ms} ms`));
    const text = `${part.name} ${part.ms}`;
    if (length > text.length * 5.6 + 6) {   // the label fits under its own bar (10 px text)
      group.append(svg("text", { x: (x + 3).toFixed(1), y: 30, "font-size": 10, fill: "#1d2330" }, text));
    }
    drawing.append(group);
    x += length;
  }
  const caption = document.createElement("figcaption");
  caption.textContent = [title, heard].filter(Boolean).join(" · ");
  if (latency.interrupted) caption.classList.add("interrupted");
  figure.append(drawing, caption);
  return figure;
}

// The ms per full width for a call: its slowest reply, rounded up to a quarter second (at least 1 s).
export function scaleFor(latencies) {
  const longest = Math.max(0, ...latencies.map((latency) => STAGES.reduce((sum, [key]) => sum + (latency[key] || 0), 0)));
  return Math.max(1000, Math.ceil(longest / 250) * 250);
}
