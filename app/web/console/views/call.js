// One call: its facts, summary, recording player, latency (a waterfall under each agent reply), transcript,
// cost breakdown, extraction and QMS scores, and the webhook deliveries its events fired. The recording
// streams from the REST recording route with ?token=.

import { append, formatTime, h, label, statusLine } from "../dom.js";
import { transcriptList } from "../transcript.js";
import { scaleFor } from "../waterfall.js";

const METERS = { telephony: "Telephony", stt: "Speech to text", tts: "Text to speech", llm_input: "LLM input",
  llm_output: "LLM output", tool_call: "Tool calls", recording_storage: "Recording storage" };
// unit -> [how a price is per it, usage units in one of it, how usage is counted]
const UNITS = { minute: ["min", 1, "billed min"], audio_minute: ["audio min", 60, "s of audio"],
  "1k_characters": ["1k chars", 1000, "chars"], "1m_tokens": ["1M tokens", 1e6, "tokens"], call: ["call", 1, "calls"],
  gb: ["GB", 1000, "MB"] };

function used(line) {
  const [, per, counted] = UNITS[line.unit] || [line.unit, 1, line.unit];
  const amount = line.quantity * per;
  return `${amount.toLocaleString(undefined, { maximumFractionDigits: 2 })} ${counted}`;
}

function money(amount, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency, maximumFractionDigits: 4 }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

// The call's latency summary above the turns; the turns carry their own waterfalls.
function latencySummary(latency) {
  if (!latency || !latency.turns) return h("p", { class: "muted" }, "No measured replies.");
  const ms = (value) => (value == null ? "—" : `${value} ms`);
  return h("dl", { class: "facts", "data-testid": "latency-summary" },
    [["Replies", String(latency.turns)], ["Interrupted", String(latency.interrupted)],
      ["Voice to voice p50", ms(latency.p50VoiceToVoiceMs)], ["p95", ms(latency.p95VoiceToVoiceMs)],
      ["max", ms(latency.maxVoiceToVoiceMs)]].map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
}

function costTable(cost) {
  if (!cost) return h("p", { class: "muted" }, "Costed when the call ends.");
  const lines = cost.lines.filter((line) => line.quantity > 0 || line.amount > 0);
  return h("table", { class: "list compact cost", "data-testid": "cost" },
    h("caption", { class: "visually-hidden" }, "Cost breakdown"),
    h("thead", {}, h("tr", {}, ["Meter", "Provider", "Quantity", "Unit price", "Amount"].map((name, index) =>
      h("th", { scope: "col", class: index >= 2 ? "number" : null }, name)))),
    h("tbody", {}, lines.map((line) => h("tr", { dataset: { meter: line.meter } },
      h("th", { scope: "row" }, METERS[line.meter] || line.meter),
      h("td", {}, line.model && line.model !== "*" ? `${line.provider} · ${line.model}` : line.provider),
      h("td", { class: "number" }, used(line)),
      h("td", { class: "number" }, line.unpriced ? "no price"
        : `${money(line.unitPrice, cost.currency)} / ${(UNITS[line.unit] || [line.unit])[0]}`,
        line.isDefaultPrice ? h("span", { class: "default-price" }, " (default)") : null),
      h("td", { class: "number" }, money(line.amount, cost.currency))))),
    h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: 4 }, `Total (telephony billed ${
      cost.telephonyBilling.replaceAll("_", " ")})`), h("td", { class: "number", "data-testid": "cost-total" },
      money(cost.total, cost.currency)))));
}

const CALL = `query($uuid: ID!) {
  call(uuid: $uuid) { uuid callType flowUuid customerUuid fromNumber toNumber duration durationFormatted outcome
    sentiment summary recordingUrl keyDetails startedAt endedAt status endReason
    transcript { speaker text timestamp latency { voiceToVoiceMs endpointMs sttMs queueMs llmMs sentenceMs ttsMs
      sendMs interrupted heardMs spokenMs } }
    latency { turns interrupted p50VoiceToVoiceMs p95VoiceToVoiceMs maxVoiceToVoiceMs }
    usage { telephonySeconds sttAudioSeconds ttsCharacters llmInputTokens llmOutputTokens llmTokensEstimated
      toolCalls recordingBytes }
    cost { currency total telephonyBilling lines { meter provider model quantity unit unitPrice amount
      isDefaultPrice unpriced } } }
  callWebhookDeliveries(callUuid: $uuid) { deliveryId webhookName eventType status attempts createdAt
    lastResponseStatus lastError lastAttemptAt } }`;

const words = (key) => key.replaceAll("_", " ");

// Nested JSON as nested definition lists: readable without knowing the extraction schema in advance.
export function jsonView(value) {
  if (Array.isArray(value)) {
    return value.length ? h("ul", {}, value.map((item) => h("li", {}, jsonView(item)))) : h("span", { class: "muted" }, "none");
  }
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    if (!entries.length) return h("span", { class: "muted" }, "none");
    return h("dl", { class: "facts" }, entries.map(([key, item]) => [h("dt", {}, words(key)), h("dd", {}, jsonView(item))]));
  }
  return document.createTextNode(label(value));
}

function section(id, title, ...content) {
  return h("section", { "aria-labelledby": id, "data-testid": id }, h("h2", { id }, title), ...content);
}

export async function render(root, { api, params }) {
  const uuid = params.callUuid;
  const message = statusLine("alert");
  root.append(h("p", {}, h("a", { href: "#/calls" }, "← Calls")), h("h1", {}, "Call ", h("code", {}, uuid)),
    message.element);
  let data;
  try {
    data = await api.graphql(CALL, { uuid });
  } catch (error) {
    message.show(error.message, "error");
    return;
  }
  const call = data.call;
  const details = call.keyDetails || {};

  const facts = h("dl", { class: "facts", "data-testid": "call-facts" },
    [["Status", call.status], ["Type", call.callType], ["From", call.fromNumber], ["To", call.toNumber],
      ["Outcome", call.outcome], ["Sentiment", call.sentiment], ["Duration", call.durationFormatted],
      ["Started", formatTime(call.startedAt)], ["Ended", formatTime(call.endedAt)], ["End reason", call.endReason]]
      .map(([name, value]) => [h("dt", {}, name), h("dd", {}, label(value))]));

  const recording = call.recordingUrl
    ? h("audio", { controls: true, preload: "none", src: api.restUrl(`/calls/${encodeURIComponent(uuid)}/recording`),
      "aria-label": "Call recording", "data-testid": "recording" })
    : h("p", { class: "muted" }, "No recording for this call.");

  const transcript = transcriptList({ scale: scaleFor(call.transcript.map((turn) => turn.latency).filter(Boolean)) });
  for (const turn of call.transcript) transcript.turn(turn);
  if (!call.transcript.length) transcript.note("No transcript.");

  const qms = details.qms_scores && typeof details.qms_scores === "object" ? Object.entries(details.qms_scores) : [];
  const others = Object.fromEntries(Object.entries(details).filter(([key]) => !["extraction", "qms_scores"].includes(key)));

  const deliveries = data.callWebhookDeliveries.length
    ? h("table", { class: "list" },
      h("caption", { class: "visually-hidden" }, "Webhook deliveries of this call"),
      h("thead", {}, h("tr", {}, ["Event", "Webhook", "Status", "Attempts", "Last response", "Last attempt"]
        .map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, data.callWebhookDeliveries.map((delivery) => h("tr", { dataset: { delivery: delivery.deliveryId } },
        h("td", {}, delivery.eventType), h("td", {}, delivery.webhookName), h("td", {}, delivery.status),
        h("td", { class: "number" }, String(delivery.attempts)),
        h("td", {}, delivery.lastResponseStatus != null ? String(delivery.lastResponseStatus) : label(delivery.lastError)),
        h("td", {}, formatTime(delivery.lastAttemptAt))))))
    : h("p", { class: "muted" }, "No webhook deliveries for this call.");

  append(root, [
    facts,
    call.summary ? section("summary", "Summary", h("p", {}, call.summary)) : null,
    section("recording-title", "Recording", recording),
    section("latency-title", "Latency", latencySummary(call.latency)),
    section("transcript-title", "Transcript", transcript.element),
    section("cost-title", "Cost", costTable(call.cost)),
    section("extraction", "Extraction", details.extraction ? jsonView(details.extraction)
      : h("p", { class: "muted" }, "No extraction.")),
    section("qms", "QMS scores", qms.length
      ? h("table", { class: "list compact" }, h("tbody", {}, qms.map(([name, score]) => h("tr", {},
        h("th", { scope: "row" }, words(name)), h("td", { class: "number" }, label(score))))))
      : h("p", { class: "muted" }, "No QMS scores.")),
    Object.keys(others).length ? section("key-details", "Other key details", jsonView(others)) : null,
    section("deliveries", "Webhook deliveries", deliveries)]);
  return () => { if (recording instanceof HTMLMediaElement) recording.pause(); };
}
