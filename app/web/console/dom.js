// A tiny element builder: h("button", {type: "button", onclick}, "Text"). Text is always set as text,
// never as HTML, so nothing the API returns can inject markup.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(element) {
  while (element.firstChild) element.firstChild.remove();
  return element;
}

// A live region that screen readers announce: errors and confirmations of the page.
export function statusLine(role = "status") {
  const element = h("p", { class: "message", role, "aria-live": role === "alert" ? "assertive" : "polite" });
  element.hidden = true;
  return {
    element,
    show(text, kind = "info") {
      element.textContent = text;
      element.className = `message ${kind}`;
      element.hidden = !text;
    },
    hide() {
      element.textContent = "";
      element.hidden = true;
    },
  };
}

export function formatTime(value) {
  if (!value) return "—";
  const moment = new Date(value);
  return Number.isNaN(moment.getTime()) ? String(value) : moment.toLocaleString();
}

export function label(value) {
  return value === null || value === undefined || value === "" ? "—" : String(value);
}
