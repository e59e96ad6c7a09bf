// One live call: its transcript streamed through callEvents (the replay buffer, then live), with the
// workflow actions — end the call, or transfer it to a human queue. Mutation refusals (409 not active,
// 503 no agents available) are shown as the API words them.

import { formatTime, h, label, statusLine } from "../dom.js";
import { describeStatus, transcriptList } from "../transcript.js";

const EVENTS = `subscription($callUuid: ID!) { callEvents(callUuid: $callUuid) { type seq event } }`;

export async function render(root, { api, navigate, params }) {
  const callUuid = params.callUuid;
  const message = statusLine("alert");
  const state = h("p", { class: "call-state", "data-testid": "call-state", role: "status" }, "Connecting…");
  const transcript = transcriptList({ live: true });
  const endButton = h("button", { type: "button", class: "danger", "data-testid": "end-call" }, "End call");
  const queueSelect = h("select", { id: "transfer-target", name: "target", required: true });
  const brief = h("textarea", { id: "agent-brief", name: "agentBrief", maxlength: 280, rows: 3, required: true,
    placeholder: "What the human agent needs to know (at most 280 characters)" });
  const transferButton = h("button", { type: "submit", "data-testid": "transfer-call" }, "Transfer");
  const transferForm = h("form", { class: "stack", "aria-labelledby": "transfer-title" },
    h("h2", { id: "transfer-title" }, "Transfer to a human queue"),
    h("label", { for: "transfer-target" }, "Queue"), queueSelect,
    h("label", { for: "agent-brief" }, "Brief for the agent"), brief,
    transferButton);
  const details = h("dl", { class: "facts", "data-testid": "call-details" });

  root.append(
    h("p", {}, h("a", { href: "#/live" }, "← Live calls")),
    h("h1", {}, "Live call ", h("code", {}, callUuid)),
    details, state, message.element,
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "transcript-title", class: "grow" },
        h("h2", { id: "transcript-title" }, "Transcript"), transcript.element),
      h("section", { "aria-label": "Actions", class: "actions card" }, endButton, transferForm)));

  let ended = false;
  function finish(text) {
    ended = true;
    state.textContent = text;
    endButton.disabled = true;
    transferButton.disabled = true;
  }

  endButton.addEventListener("click", async () => {
    endButton.disabled = true;
    message.hide();
    try {
      await api.graphql("mutation($uuid: ID!) { endCall(uuid: $uuid) { status } }", { uuid: callUuid });
      if (!ended) state.textContent = "Ending the call…";
    } catch (error) {
      message.show(`Could not end the call: ${error.message}`, "error");
      endButton.disabled = ended;
    }
  });

  transferForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    transferButton.disabled = true;
    message.hide();
    try {
      const data = await api.graphql(
        "mutation($uuid: ID!, $input: TransferCallInput!) { transferCall(uuid: $uuid, input: $input) { status target } }",
        { uuid: callUuid, input: { target: queueSelect.value, agentBrief: brief.value } });
      if (!ended) state.textContent = `Transfer to ${data.transferCall.target} requested…`;
    } catch (error) {
      message.show(`Could not transfer the call: ${error.message}`, "error");
    } finally {
      transferButton.disabled = ended;
    }
  });

  const seen = new Set();
  const unsubscribe = api.subscribe(EVENTS, { callUuid }, (data) => {
    const { type, seq, event } = data.callEvents;
    if (seen.has(seq)) return;
    seen.add(seq);
    if (type === "start") state.textContent = `In progress since ${formatTime(event.started_at)}`;
    else if (type === "transcript") transcript.turn(event);
    else if (type === "tool") transcript.tool(event);
    else if (type === "status") {
      transcript.note(describeStatus(event));
      state.textContent = describeStatus(event);
    } else if (type === "end") {
      const text = `Call ended: ${label(event.outcome)}${event.duration_seconds != null ? `, ${event.duration_seconds} s` : ""}`;
      transcript.note(text, "end");
      finish(text);
    }
  }, (error) => {
    if (ended) return;
    message.show(`${error.message}. `, "error");
    message.element.append(h("button", { type: "button", class: "link", onclick: () => navigate(`#/live/${callUuid}`) },
      "Reconnect"));
  });

  try {
    const data = await api.graphql(`query($uuid: ID!) {
      call(uuid: $uuid) { callType fromNumber toNumber status startedAt flowUuid }
      humanQueues { name availableAgents } }`, { uuid: callUuid });
    const call = data.call;
    details.append(
      h("dt", {}, "Type"), h("dd", {}, label(call.callType)),
      h("dt", {}, "From"), h("dd", {}, label(call.fromNumber)),
      h("dt", {}, "To"), h("dd", {}, label(call.toNumber)),
      h("dt", {}, "Started"), h("dd", {}, formatTime(call.startedAt)),
      h("dt", {}, "Record"), h("dd", {}, h("a", { href: `#/calls/${encodeURIComponent(callUuid)}` }, "Call page")));
    queueSelect.replaceChildren(...data.humanQueues.map((queue) => h("option", { value: queue.name },
      `${queue.name} (${queue.availableAgents} available)`)));
    if (!data.humanQueues.length) {
      queueSelect.append(h("option", { value: "" }, "No queues configured"));
      transferButton.disabled = true;
    }
    if (call.status !== "in-progress" && !ended) finish(`This call is ${call.status}.`);
  } catch (error) {
    message.show(error.message, "error");
  }
  return unsubscribe;
}
