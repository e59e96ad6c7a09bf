// Sign-in: a pasted API key or Firebase ID token (both are bearer tokens), checked with a cheap query
// before anything is stored. A wrong key stores nothing and says why.

import { signedIn } from "../app.js";
import { h, statusLine } from "../dom.js";

export async function render(root, { api, navigate }) {
  const message = statusLine("alert");
  const input = h("input", { id: "token", name: "token", type: "password", autocomplete: "off", required: true,
    spellcheck: "false", "aria-describedby": "token-help" });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { class: "card narrow", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"),
    h("label", { for: "token" }, "API key or Firebase ID token"),
    input,
    h("p", { id: "token-help", class: "muted" },
      "Kept in this tab only (session storage) and sent to this platform's API; signing out forgets it."),
    submit,
    message.element);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      message.show("Paste an API key (nn_k_…) or a Firebase ID token.", "error");
      return;
    }
    submit.disabled = true;
    message.show("Checking…", "info");
    try {
      const data = await api.graphql("{ organisation { name } }", {}, { token });
      api.setToken(token);
      signedIn(data.organisation.name);
      message.hide();
      navigate("#/live");
    } catch (error) {
      message.show(`Sign-in failed: ${error.message}`, "error");
      input.select();
    } finally {
      submit.disabled = false;
    }
  });

  if (api.token) {
    root.append(h("p", { class: "muted" }, "You are signed in; signing in again replaces the key in this tab."));
  }
  root.append(form);
  input.focus();
}
