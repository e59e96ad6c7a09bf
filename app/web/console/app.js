// The console shell: routes on the URL hash, loads one view module per page and hands it
// `ctx = { api, navigate, params }`. A view's `render(root, ctx)` may return a cleanup function,
// called when the route changes (close sockets, stop audio).

import { api, SIGNED_OUT_EVENT } from "./api.js";
import { clear, h } from "./dom.js";

const ORGANISATION_KEY = "voiceai.organisation";

// [pattern, view module, parameter names, title]
const ROUTES = [
  [/^\/signin$/, "signin", [], "Sign in"],
  [/^\/live$/, "live", [], "Live calls"],
  [/^\/live\/([^/]+)$/, "live_call", ["callUuid"], "Live call"],
  [/^\/campaigns$/, "campaigns", [], "Campaigns"],
  [/^\/calls$/, "calls", [], "Calls"],
  [/^\/calls\/([^/]+)$/, "call", ["callUuid"], "Call"],
  [/^\/tester$/, "tester", [], "Flow tester"],
];

const main = document.getElementById("main");
let cleanup = null;
let generation = 0;

export function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function match(path) {
  for (const [pattern, view, names, title] of ROUTES) {
    const found = pattern.exec(path);
    if (found) {
      const params = {};
      names.forEach((name, index) => { params[name] = decodeURIComponent(found[index + 1]); });
      return { view, params, title };
    }
  }
  return null;
}

function runCleanup() {
  const previous = cleanup;
  cleanup = null;
  if (typeof previous === "function") {
    try { previous(); } catch (error) { console.warn("view cleanup failed", error); }
  }
}

function markNavigation(path) {
  for (const link of document.querySelectorAll("#nav a")) {
    const target = link.getAttribute("href").slice(1);
    if (path === target || path.startsWith(`${target}/`)) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function showSession() {
  const signedIn = Boolean(api.token);
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("session").hidden = !signedIn;
  if (!signedIn) return true;
  let name = window.sessionStorage.getItem(ORGANISATION_KEY);
  if (!name) {
    try {
      name = (await api.graphql("{ organisation { name } }")).organisation.name;
      window.sessionStorage.setItem(ORGANISATION_KEY, name);
    } catch (error) {
      if (error.code === "UNAUTHENTICATED") return false; // api.js announced it; the listener signed out
      name = "";
    }
  }
  document.getElementById("organisation-name").textContent = name;
  return true;
}

export function signedIn(organisationName) {
  window.sessionStorage.setItem(ORGANISATION_KEY, organisationName);
}

function signOut() {
  api.setToken(null);
  window.sessionStorage.removeItem(ORGANISATION_KEY);
  navigate("#/signin");
}

async function route() {
  const current = ++generation;
  runCleanup();
  const path = window.location.hash.replace(/^#/, "") || "/";
  if (!api.token && path !== "/signin") {
    window.location.replace("#/signin");
    return;
  }
  const found = match(path);
  if (!found) {
    window.location.replace(api.token ? "#/live" : "#/signin");
    return;
  }
  if (!(await showSession()) || current !== generation) return;
  markNavigation(path);
  document.title = `${found.title} · Voice AI console`;
  clear(main);
  let view;
  try {
    view = await import(`./views/${found.view}.js`);
  } catch (error) {
    if (current !== generation) return;
    main.append(h("h1", {}, found.title), h("p", { class: "message info", role: "status" },
      `${found.title} is not available in this version of the console.`));
    return;
  }
  if (current !== generation) return;
  try {
    const done = await view.render(main, { api, navigate, params: found.params });
    if (current !== generation) {
      if (typeof done === "function") done();
      return;
    }
    cleanup = done;
  } catch (error) {
    if (current !== generation) return;
    main.append(h("p", { class: "message error", role: "alert" }, error.message || String(error)));
  }
}

document.getElementById("sign-out").addEventListener("click", signOut);
window.addEventListener(SIGNED_OUT_EVENT, () => { if (api.token) signOut(); });
window.addEventListener("hashchange", route);
window.addEventListener("pagehide", runCleanup);
route();
