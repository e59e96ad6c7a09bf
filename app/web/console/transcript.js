// A transcript as a list of labelled turns, shared by the live call page (turns arrive one by one)
// and the call page (the stored transcript). Status changes and the end appear as notes between turns.

import { h } from "./dom.js";
import { waterfall } from "./waterfall.js";

const SPEAKERS = { agent: "Agent", customer: "Customer" };

// `scale`: ms per waterfall width (the call page passes one for the whole call; live turns use 2 s).
export function transcriptList({ live = false, scale = 2000 } = {}) {
  const list = h("ol", { class: "transcript", "data-testid": "transcript",
    role: live ? "log" : null, "aria-live": live ? "polite" : null, "aria-label": "Transcript" });

  return {
    element: list,
    turn({ speaker, text, timestamp, latency }) {
      const who = SPEAKERS[speaker] || speaker || "Unknown";
      const seconds = Number(timestamp);
      list.append(h("li", { class: `turn ${speaker}`, dataset: { speaker: speaker || "" } },
        h("span", { class: "speaker" }, who),
        Number.isFinite(seconds) ? h("span", { class: "at muted" }, `${seconds.toFixed(1)} s`) : null,
        h("span", { class: "text" }, text),
        latency ? waterfall(latency, { scale }) : null));
    },
    note(text, kind = "status") {
      list.append(h("li", { class: `note ${kind}`, dataset: { kind } }, text));
    },
  };
}

export function describeStatus(event) {
  const status = event.status || "status";
  if (status === "transfer_initiated") return `Transfer to ${event.target || "a human queue"} started`;
  return `Status: ${status.replaceAll("_", " ")}${event.target ? ` (${event.target})` : ""}`;
}
