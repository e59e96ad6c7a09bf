// Live calls: the liveCalls query, then kept current by the liveCalls subscription (calls appear when
// they start, show their new status when it changes, e.g. a transfer, and leave when they end). The
// subscription is opened first so no change is missed.

import { formatTime, h, label, statusLine } from "../dom.js";

const FIELDS = "uuid callType fromNumber toNumber status target startedAt outcome";

export async function render(root, { api, navigate }) {
  const calls = new Map();
  const message = statusLine();
  const body = h("tbody");
  const empty = h("p", { class: "muted", "data-testid": "no-live-calls" }, "No calls in progress.");
  const table = h("table", { class: "list", "data-testid": "live-calls" },
    h("caption", { class: "visually-hidden" }, "Calls in progress"),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Call"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "From"),
      h("th", { scope: "col" }, "To"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Started"))),
    body);
  root.append(h("h1", {}, "Live calls"), message.element, empty, table);

  function draw() {
    body.replaceChildren(...[...calls.values()]
      .sort((a, b) => String(b.startedAt).localeCompare(String(a.startedAt)))
      .map((call) => h("tr", { dataset: { call: call.uuid } },
        h("td", {}, h("a", { href: `#/live/${encodeURIComponent(call.uuid)}` }, call.uuid)),
        h("td", {}, label(call.callType)),
        h("td", {}, label(call.fromNumber)),
        h("td", {}, label(call.toNumber)),
        h("td", { class: "status" }, statusText(call)),
        h("td", {}, formatTime(call.startedAt)))));
    empty.hidden = calls.size > 0;
    table.hidden = calls.size === 0;
  }

  function statusText({ status, target }) {
    if (status === "transfer_initiated") return `Transfer to ${label(target)} started`;
    return target ? `${label(status)} → ${target}` : label(status);
  }

  let loaded = false;
  const buffered = [];
  function apply({ change, call }) {
    if (change === "ended") {
      calls.delete(call.uuid);
      message.show(`Call ${call.uuid} ended${call.outcome ? ` (${call.outcome})` : ""}.`);
    } else {  // started, or updated: the change carries the whole live entry
      calls.set(call.uuid, { ...(calls.get(call.uuid) || {}), ...call });
    }
  }

  const unsubscribe = api.subscribe(`subscription { liveCalls { change call { ${FIELDS} } } }`, {},
    (data) => {
      if (!loaded) buffered.push(data.liveCalls);
      else {
        apply(data.liveCalls);
        draw();
      }
    },
    (error) => {
      message.show(`${error.message}. `, "error");
      message.element.append(h("button", { type: "button", class: "link", onclick: () => navigate("#/live") },
        "Reconnect"));
    });

  try {
    const data = await api.graphql(`{ liveCalls { ${FIELDS} } }`);
    for (const call of data.liveCalls) calls.set(call.uuid, call);
  } catch (error) {
    message.show(error.message, "error");
  }
  loaded = true;
  for (const change of buffered.splice(0)) apply(change);
  draw();
  return unsubscribe;
}
