// One call: its facts, summary, recording player, transcript, extraction and QMS scores, and the webhook
// deliveries its events fired. The recording streams from the REST recording route with ?token=.

import { append, formatTime, h, label, statusLine } from "../dom.js";
import { transcriptList } from "../transcript.js";

const CALL = `query($uuid: ID!) {
  call(uuid: $uuid) { uuid callType flowUuid customerUuid fromNumber toNumber duration durationFormatted outcome
    sentiment summary recordingUrl keyDetails startedAt endedAt status endReason
    transcript { speaker text timestamp }
    toolCalls { tool arguments status httpStatus latencyMs result at }
    callbacks { uuid dueAt note status } }
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

  const transcript = transcriptList();
  // Turns and tool calls on one timeline, by seconds into the call.
  const timeline = [...call.transcript.map((turn) => ({ at: Number(turn.timestamp), turn })),
    ...(call.toolCalls || []).map((tool) => ({ at: Number(tool.at), tool }))].sort((a, b) => a.at - b.at);
  for (const item of timeline) {
    if (item.turn) transcript.turn(item.turn);
    else transcript.tool(item.tool);
  }
  if (!timeline.length) transcript.note("No transcript.");
  const callbacks = call.callbacks || [];

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
    section("transcript-title", "Transcript", transcript.element),
    callbacks.length ? section("callbacks", "Callbacks", h("ul", {}, callbacks.map((callback) =>
      h("li", { dataset: { callback: callback.uuid } }, `${formatTime(callback.dueAt)} · ${callback.status}`,
        callback.note ? h("span", { class: "muted" }, ` — ${callback.note}`) : null)))) : null,
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
