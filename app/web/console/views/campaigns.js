// The campaign board: flows with their live metrics (cost per connected call and median voice-to-voice
// too, charted over the campaign's days) and launch / stop / pause controls, customers per branch, a CSV
// import with a progress bar, and the call statistics as charts.

import { barChart } from "../chart.js";
import { h, label, statusLine } from "../dom.js";

const BOARD = `{
  flows { uuid name kind status branches
    metrics { callsToday totalCalls connectRate answerRate missedRate avgHandleTime peakHour
      currency costPerConnectedCall costPerLead medianVoiceToVoiceMs }
    costDays { day calls connected totalCost costPerConnectedCall medianVoiceToVoiceMs } }
  customerBranches
  customerCount { count }
}`;
const MAX_BRANCHES = 40; // each branch is one aliased field; the schema allows 50 aliases
const MAX_IMPORT_BYTES = 64 * 1024 * 1024; // the server's limit for an uploaded customer file

const percent = (value) => `${Math.round((value || 0) * 100)}%`;
const COST_DAYS = 14; // the chart shows the campaign's last two weeks

function money(amount, currency) {
  if (amount == null) return "—";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

// Over the campaign's days: cost per connected call, and the median voice-to-voice.
function costCharts(flow, currency) {
  const days = (flow.costDays || []).filter((day) => day.calls).slice(-COST_DAYS);
  if (!days.length) return null;
  const size = { width: 300, bar: 12, gap: 5, labelWidth: 48 };
  return h("div", { class: "charts", "data-testid": "cost-days" },
    barChart(`Cost per connected call by day (${currency})`, days.map((day) => ({
      label: day.day.slice(5), value: Number((day.costPerConnectedCall || 0).toFixed(2)), color: "#2f5bd3" })), size),
    barChart("Median voice to voice by day (ms)", days.map((day) => ({
      label: day.day.slice(5), value: day.medianVoiceToVoiceMs || 0, color: "#6b4fbb" })), size));
}

function branchCounts(branches) {
  const shown = branches.slice(0, MAX_BRANCHES);
  if (!shown.length) return null;
  const variables = Object.fromEntries(shown.map((branch, index) => [`t${index}`, [branch]]));
  const definitions = shown.map((_, index) => `$t${index}: [String!]`).join(", ");
  const fields = shown.map((_, index) => `b${index}: customerCount(tags: $t${index}) { count }`).join(" ");
  return { query: `query(${definitions}) { ${fields} }`, variables, shown };
}

export async function render(root, { api }) {
  const message = statusLine("alert");
  const flowsArea = h("div", { class: "flows", "data-testid": "flows" });
  const customersArea = h("div", { "data-testid": "customers" });
  const statisticsArea = h("div", { class: "charts", "data-testid": "statistics" });
  const statisticsFlow = h("select", { id: "statistics-flow" }, h("option", { value: "" }, "All flows"));
  const statisticsTotals = h("p", { class: "muted", "data-testid": "statistics-totals" });

  const fileInput = h("input", { id: "import-file", type: "file", accept: ".csv,.json,text/csv,application/json",
    required: true });
  const progress = h("progress", { max: 1, value: 0, "aria-label": "Import progress", "data-testid": "import-progress" });
  progress.hidden = true;
  const importMessage = statusLine();
  const importButton = h("button", { type: "submit" }, "Import");
  const importForm = h("form", { class: "card stack narrow", "aria-labelledby": "import-title" },
    h("h3", { id: "import-title" }, "Import customers"),
    h("label", { for: "import-file" }, "CSV file (name, phone, email, tags, preferred_language, metadata)"),
    fileInput, importButton, progress, importMessage.element);

  root.append(h("h1", {}, "Campaigns"), message.element,
    h("section", { "aria-labelledby": "flows-title" }, h("h2", { id: "flows-title" }, "Flows"), flowsArea),
    h("section", { "aria-labelledby": "customers-title" }, h("h2", { id: "customers-title" }, "Customers"),
      h("div", { class: "columns" }, h("div", { class: "grow" }, customersArea), importForm)),
    h("section", { "aria-labelledby": "statistics-title" },
      h("h2", { id: "statistics-title" }, "Call statistics"),
      h("div", { class: "row" }, h("label", { for: "statistics-flow" }, "Flow"), statisticsFlow),
      statisticsTotals, statisticsArea));

  async function act(mutation, flow, verb) {
    message.hide();
    try {
      await api.graphql(`mutation($uuid: ID!) { ${mutation} }`, { uuid: flow.uuid });
      message.show(`${flow.name}: ${verb}.`, "ok");
    } catch (error) {
      message.show(`${flow.name}: ${error.message}`, "error");
    }
    await loadBoard();
  }

  function flowCard(flow) {
    const metrics = flow.metrics || {};
    const buttons = [];
    if (flow.kind === "outbound") {
      buttons.push(h("button", { type: "button", onclick: () => act("launchFlow(uuid: $uuid) { customersQueued }", flow,
        "campaign launched") }, "Launch"));
      buttons.push(h("button", { type: "button", class: "secondary", onclick: () => act("stopFlow(uuid: $uuid) { status }",
        flow, "campaign stopped") }, "Stop"));
    }
    buttons.push(h("button", { type: "button", class: "secondary", onclick: () => act("toggleFlow(uuid: $uuid) { status }",
      flow, flow.status === "active" ? "paused" : "activated") }, flow.status === "active" ? "Pause" : "Activate"));
    const metric = (name, value) => h("div", {}, h("span", {}, name), h("span", {}, value));
    return h("article", { class: "card flow", "aria-label": flow.name, dataset: { flow: flow.uuid } },
      h("h3", {}, flow.name),
      h("p", { class: "row" }, h("span", { class: `badge ${flow.status}`, "data-testid": "flow-status" }, flow.status),
        h("span", { class: "muted" }, flow.kind),
        flow.branches.length ? h("span", { class: "muted" }, `Branches: ${flow.branches.join(", ")}`) : null),
      h("div", { class: "metrics" },
        metric("Calls today", label(metrics.callsToday)), metric("Total calls", label(metrics.totalCalls)),
        metric("Connect rate", percent(metrics.connectRate)), metric("Answer rate", percent(metrics.answerRate)),
        metric("Missed rate", percent(metrics.missedRate)), metric("Avg handle time", label(metrics.avgHandleTime)),
        h("div", { "data-testid": "cost-per-connected" }, h("span", {}, "Cost / connected call"),
          h("span", {}, money(metrics.costPerConnectedCall, metrics.currency || "INR"))),
        h("div", { "data-testid": "median-v2v" }, h("span", {}, "Median voice to voice"),
          h("span", {}, metrics.medianVoiceToVoiceMs == null ? "—" : `${metrics.medianVoiceToVoiceMs} ms`)),
        metric("Cost / lead", money(metrics.costPerLead, metrics.currency || "INR"))),
      costCharts(flow, metrics.currency || "INR"),
      h("div", { class: "row" }, buttons));
  }

  async function loadBoard() {
    const data = await api.graphql(BOARD);
    flowsArea.replaceChildren(...(data.flows.length ? data.flows.map(flowCard)
      : [h("p", { class: "muted" }, "No flows yet.")]));
    const chosen = statisticsFlow.value;
    statisticsFlow.replaceChildren(h("option", { value: "" }, "All flows"),
      ...data.flows.map((flow) => h("option", { value: flow.uuid }, flow.name)));
    statisticsFlow.value = data.flows.some((flow) => flow.uuid === chosen) ? chosen : "";

    const rows = [h("tr", {}, h("th", { scope: "row" }, "All customers"),
      h("td", { class: "number", "data-testid": "customer-total" }, String(data.customerCount.count)))];
    const counts = branchCounts(data.customerBranches);
    if (counts) {
      const found = await api.graphql(counts.query, counts.variables);
      counts.shown.forEach((branch, index) => rows.push(h("tr", { dataset: { branch } },
        h("th", { scope: "row" }, branch), h("td", { class: "number" }, String(found[`b${index}`].count)))));
    }
    customersArea.replaceChildren(...[h("table", { class: "list", "data-testid": "branch-counts" },
      h("caption", { class: "visually-hidden" }, "Customers per branch"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Branch"), h("th", { scope: "col", class: "number" }, "Customers"))),
      h("tbody", {}, rows)),
      data.customerBranches.length > MAX_BRANCHES
        ? h("p", { class: "muted" }, `First ${MAX_BRANCHES} of ${data.customerBranches.length} branches.`) : null]
      .filter(Boolean));
  }

  async function loadStatistics() {
    const stats = (await api.graphql(`query($flowUuid: String) { callStatistics(flowUuid: $flowUuid) {
      totalCalls connected voicemail noAnswer failed connectRate avgDurationSeconds
      sentimentBreakdown { positive neutral negative } } }`, { flowUuid: statisticsFlow.value || null })).callStatistics;
    statisticsTotals.textContent = `${stats.totalCalls} calls · connect rate ${percent(stats.connectRate)} · `
      + `mean connected duration ${stats.avgDurationSeconds} s`;
    statisticsArea.replaceChildren(
      barChart("Outcomes", [
        { label: "Connected", value: stats.connected, color: "#1f7a3a" },
        { label: "Voicemail", value: stats.voicemail, color: "#6b4fbb" },
        { label: "No answer", value: stats.noAnswer, color: "#9a6700" },
        { label: "Failed", value: stats.failed, color: "#b42318" }]),
      barChart("Sentiment", [
        { label: "Positive", value: stats.sentimentBreakdown.positive, color: "#1f7a3a" },
        { label: "Neutral", value: stats.sentimentBreakdown.neutral, color: "#5b6474" },
        { label: "Negative", value: stats.sentimentBreakdown.negative, color: "#b42318" }]));
  }

  statisticsFlow.addEventListener("change", () => loadStatistics().catch((error) => message.show(error.message, "error")));

  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = fileInput.files[0];
    if (!file) {
      importMessage.show("Choose a CSV file first.", "error");
      return;
    }
    if (file.size > MAX_IMPORT_BYTES) {
      importMessage.show(`${file.name} is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB: split it into smaller files.`,
        "error");
      return;
    }
    importButton.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    importMessage.show(`Uploading ${file.name}…`);
    try {
      const data = await api.graphqlWithProgress(`mutation($file: Upload!) {
        importCustomers(file: $file) { imported updated skipped errors { row phone reason } } }`,
      {}, (share) => {
        progress.value = share;
        if (share >= 1) importMessage.show(`Importing ${file.name}…`);
      }, { file });
      const result = data.importCustomers;
      progress.value = 1;
      const problems = result.errors.slice(0, 5).map((error) => `line ${error.row}: ${error.reason}`).join("; ");
      importMessage.show(`Imported ${result.imported}, updated ${result.updated}, skipped ${result.skipped}.`
        + (problems ? ` ${problems}` : ""), result.errors.length ? "info" : "ok");
      await loadBoard();
    } catch (error) {
      progress.hidden = true;
      importMessage.show(`Import failed: ${error.message}`, "error");
    } finally {
      importButton.disabled = false;
    }
  });

  try {
    await Promise.all([loadBoard(), loadStatistics()]);
  } catch (error) {
    message.show(error.message, "error");
  }
}
