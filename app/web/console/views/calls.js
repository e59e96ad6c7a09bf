// Calls: the `calls` query with its filters (type, flow, outcome, sentiment, dates) and paging, plus a
// customer search that narrows the list to one customer's calls. Filters survive a visit to a call page.

import { formatTime, h, label, statusLine } from "../dom.js";

const PAGE = 25;
const OUTCOMES = ["connected", "voicemail", "no-answer", "failed", "warm_transfer"];
const SENTIMENTS = ["positive", "neutral", "negative"];
const TYPES = ["inbound", "outbound", "test"];
const LIST = `query($callType: String, $flowUuid: String, $customerUuid: String, $outcome: String, $sentiment: String,
  $dateFrom: String, $dateTo: String, $limit: Int, $offset: Int) {
  calls(callType: $callType, flowUuid: $flowUuid, customerUuid: $customerUuid, outcome: $outcome,
        sentiment: $sentiment, dateFrom: $dateFrom, dateTo: $dateTo, limit: $limit, offset: $offset) {
    total calls { uuid callType fromNumber toNumber outcome sentiment durationFormatted startedAt summary } } }`;

const remembered = { filters: {}, customer: null, offset: 0 };

function select(id, name, choices, chosen) {
  return h("select", { id, name },
    h("option", { value: "" }, "Any"),
    choices.map(([value, text]) => h("option", { value, selected: value === chosen }, text)));
}

export async function render(root, { api }) {
  const message = statusLine("alert");
  const flows = (await api.graphql("{ flows { uuid name } }")).flows;
  const f = remembered.filters;
  const field = (id, text, control) => h("div", {}, h("label", { for: id }, text), control);
  const controls = {
    callType: select("filter-type", "callType", TYPES.map((t) => [t, t]), f.callType),
    flowUuid: select("filter-flow", "flowUuid", flows.map((flow) => [flow.uuid, flow.name]), f.flowUuid),
    outcome: select("filter-outcome", "outcome", OUTCOMES.map((o) => [o, o]), f.outcome),
    sentiment: select("filter-sentiment", "sentiment", SENTIMENTS.map((s) => [s, s]), f.sentiment),
    dateFrom: h("input", { id: "filter-from", name: "dateFrom", type: "date", value: f.dateFrom || "" }),
    dateTo: h("input", { id: "filter-to", name: "dateTo", type: "date", value: f.dateTo || "" }),
  };
  const search = h("input", { id: "filter-customer", name: "customer", type: "search",
    placeholder: "Name or phone", value: remembered.customer ? remembered.customer.text : "" });
  const choices = h("div", { class: "row", "data-testid": "customer-choices" });
  const form = h("form", { class: "filters card", role: "search", "aria-label": "Filter calls" },
    field("filter-customer", "Customer", search),
    field("filter-type", "Type", controls.callType), field("filter-flow", "Flow", controls.flowUuid),
    field("filter-outcome", "Outcome", controls.outcome), field("filter-sentiment", "Sentiment", controls.sentiment),
    field("filter-from", "From", controls.dateFrom), field("filter-to", "To", controls.dateTo),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Apply"),
      h("button", { type: "reset", class: "secondary" }, "Clear")));
  const body = h("tbody");
  const summary = h("p", { class: "muted", role: "status", "data-testid": "calls-summary" });
  const previous = h("button", { type: "button", class: "secondary" }, "Previous");
  const next = h("button", { type: "button", class: "secondary" }, "Next");
  root.append(h("h1", {}, "Calls"), form, choices, message.element, summary,
    h("table", { class: "list", "data-testid": "calls" },
      h("caption", { class: "visually-hidden" }, "Calls, newest first"),
      h("thead", {}, h("tr", {}, ["Call", "Started", "Type", "From", "To", "Outcome", "Sentiment", "Duration"]
        .map((name) => h("th", { scope: "col" }, name)))),
      body),
    h("div", { class: "pager" }, previous, next));

  async function load() {
    message.hide();
    const variables = { ...remembered.filters, customerUuid: remembered.customer ? remembered.customer.uuid : null,
      limit: PAGE, offset: remembered.offset };
    try {
      const page = (await api.graphql(LIST, variables)).calls;
      body.replaceChildren(...page.calls.map((call) => h("tr", { dataset: { call: call.uuid } },
        h("td", {}, h("a", { href: `#/calls/${encodeURIComponent(call.uuid)}` }, call.uuid)),
        h("td", {}, formatTime(call.startedAt)), h("td", {}, label(call.callType)),
        h("td", {}, label(call.fromNumber)), h("td", {}, label(call.toNumber)),
        h("td", { "data-testid": "outcome" }, label(call.outcome)), h("td", {}, label(call.sentiment)),
        h("td", {}, label(call.durationFormatted)))));
      const first = page.total ? remembered.offset + 1 : 0;
      const last = remembered.offset + page.calls.length;
      const who = remembered.customer ? ` for ${remembered.customer.name}` : "";
      summary.textContent = page.total ? `Calls ${first}–${last} of ${page.total}${who}` : `No calls match${who}.`;
      previous.disabled = remembered.offset === 0;
      next.disabled = last >= page.total;
    } catch (error) {
      message.show(error.message, "error");
    }
  }

  function chooseCustomer(customer, text) {
    remembered.customer = customer ? { ...customer, text } : null;
    choices.replaceChildren();
    remembered.offset = 0;
    return load();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const [name, control] of Object.entries(controls)) remembered.filters[name] = control.value || null;
    const text = search.value.trim();
    if (!text) {
      await chooseCustomer(null, "");
      return;
    }
    try {
      const found = (await api.graphql("query($search: String) { customers(search: $search, limit: 10) { total "
        + "customers { uuid name phone } } }", { search: text })).customers;
      if (found.customers.length === 1) await chooseCustomer(found.customers[0], text);
      else if (!found.customers.length) message.show(`No customer matches “${text}”.`, "error");
      else {
        choices.replaceChildren(h("span", {}, `${found.total} customers match; choose one:`),
          ...found.customers.map((customer) => h("button", { type: "button", class: "secondary",
            onclick: () => chooseCustomer(customer, text) }, `${customer.name} (${customer.phone})`)));
      }
    } catch (error) {
      message.show(error.message, "error");
    }
  });
  form.addEventListener("reset", () => {
    remembered.filters = {};
    window.setTimeout(() => chooseCustomer(null, ""), 0);
  });
  previous.addEventListener("click", () => { remembered.offset = Math.max(0, remembered.offset - PAGE); load(); });
  next.addEventListener("click", () => { remembered.offset += PAGE; load(); });

  await load();
}
