// The console's only way to the platform: the public GraphQL API at /api/voice/graphql (HTTP for queries
// and mutations, one shared graphql-transport-ws socket for subscriptions) and two REST helpers for media.

const BASE = "/api/voice";
const TOKEN_KEY = "voiceai.token";
const PROTOCOL = "graphql-transport-ws";
export const SIGNED_OUT_EVENT = "voiceai:unauthenticated";

function absolute(path, scheme, withToken = true) {
  const url = new URL(BASE + path, window.location.href);
  url.protocol = scheme;
  const token = api.token;
  if (withToken && token) url.searchParams.set("token", token);
  return url.toString();
}

const socketScheme = () => (window.location.protocol === "https:" ? "wss:" : "ws:");

function errorOf(answer, status) {
  const first = answer && Array.isArray(answer.errors) && answer.errors[0];
  if (first) {
    const error = new Error(first.message || "Request failed");
    error.code = first.extensions && first.extensions.code;
    return error;
  }
  if (answer && typeof answer.detail === "string") return new Error(answer.detail);
  return new Error(`The server answered ${status}`);
}

// One socket for every subscription; opened on the first subscribe, closed when the last one ends.
class SubscriptionSocket {
  constructor() {
    this.socket = null;
    this.ready = null;
    this.nextId = 1;
    this.active = new Map(); // id -> { onNext, onError, onComplete }
  }

  open() {
    if (this.ready) return this.ready;
    const socket = new WebSocket(absolute("/graphql", socketScheme(), false), PROTOCOL);
    this.socket = socket;
    this.ready = new Promise((resolve, reject) => {
      socket.addEventListener("open", () => {
        socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${api.token}` } }));
      });
      socket.addEventListener("message", (event) => {
        const message = JSON.parse(event.data);
        if (message.type === "connection_ack") resolve(socket);
        else if (message.type === "ping") socket.send(JSON.stringify({ type: "pong" }));
        else this.deliver(message);
      });
      socket.addEventListener("close", (event) => {
        const reason = event.reason || (event.code === 4403 ? "Forbidden" : "the live connection closed");
        reject(new Error(reason));
        this.fail(new Error(`Live updates stopped: ${reason}`), socket);
      });
    });
    this.ready.catch(() => {});
    return this.ready;
  }

  deliver(message) {
    const subscription = this.active.get(message.id);
    if (!subscription) return;
    if (message.type === "next") {
      if (message.payload.errors && message.payload.errors.length) {
        this.active.delete(message.id);
        subscription.onError(errorOf(message.payload));
      } else {
        subscription.onNext(message.payload.data);
      }
    } else if (message.type === "error") {
      this.active.delete(message.id);
      subscription.onError(errorOf({ errors: message.payload }));
    } else if (message.type === "complete") {
      this.active.delete(message.id);
      if (subscription.onComplete) subscription.onComplete();
    }
  }

  fail(error, socket) {
    if (socket !== this.socket) return;
    const pending = [...this.active.values()];
    this.active.clear();
    this.socket = null;
    this.ready = null;
    for (const subscription of pending) subscription.onError(error);
  }

  subscribe(query, variables, onNext, onError, onComplete) {
    const id = String(this.nextId++);
    this.active.set(id, { onNext, onError: onError || (() => {}), onComplete });
    this.open().then((socket) => {
      if (this.active.has(id) && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables: variables || {} } }));
      }
    }, () => {});
    return () => {
      const known = this.active.delete(id);
      const socket = this.socket;
      if (known && socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ id, type: "complete" }));
      }
      if (this.active.size === 0 && socket) this.close();
    };
  }

  close() {
    const socket = this.socket;
    this.socket = null;
    this.ready = null;
    this.active.clear();
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, "done");
  }
}

const subscriptions = new SubscriptionSocket();

export const api = {
  get token() {
    return window.sessionStorage.getItem(TOKEN_KEY);
  },

  setToken(token) {
    subscriptions.close();
    if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
    else window.sessionStorage.removeItem(TOKEN_KEY);
  },

  // Runs a query or mutation; throws an Error carrying the GraphQL message (and `code`) on errors.
  async graphql(query, variables = {}, { token } = {}) {
    const bearer = token || api.token;
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    let response;
    try {
      response = await fetch(`${BASE}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    } catch (error) {
      throw new Error("The platform cannot be reached");
    }
    let answer = null;
    try {
      answer = await response.json();
    } catch (error) {
      throw new Error(`The server answered ${response.status}`);
    }
    if (!response.ok || (answer.errors && answer.errors.length)) {
      const error = errorOf(answer, response.status);
      // The stored key stopped working (revoked, expired): tell the shell, which signs out.
      if (error.code === "UNAUTHENTICATED" && !token) window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT));
      throw error;
    }
    return answer.data;
  },

  // The same as graphql(), over XMLHttpRequest so a large body (a CSV import) can report upload progress.
  // `files` ({variable: File}) go as a GraphQL multipart request (the spec's operations/map/parts), so a
  // large CSV is not held to the JSON body limit; the upload's progress is reported as a share 0..1.
  graphqlWithProgress(query, variables, onProgress, files = {}) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("POST", `${BASE}/graphql`);
      const names = Object.keys(files);
      let body = JSON.stringify({ query, variables });
      if (names.length) {
        body = new FormData();
        body.append("operations", JSON.stringify({ query, variables: { ...variables, ...Object.fromEntries(names.map((name) => [name, null])) } }));
        body.append("map", JSON.stringify(Object.fromEntries(names.map((name, index) => [String(index), [`variables.${name}`]]))));
        names.forEach((name, index) => body.append(String(index), files[name], files[name].name));
      } else {
        request.setRequestHeader("Content-Type", "application/json");
      }
      request.setRequestHeader("Accept", "application/json");
      if (api.token) request.setRequestHeader("Authorization", `Bearer ${api.token}`);
      request.responseType = "text";
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      request.addEventListener("error", () => reject(new Error("The platform cannot be reached")));
      request.addEventListener("load", () => {
        let answer = null;
        try {
          answer = JSON.parse(request.responseText);
        } catch (error) {
          reject(new Error(`The server answered ${request.status}`));
          return;
        }
        if (request.status !== 200 || (answer.errors && answer.errors.length)) reject(errorOf(answer, request.status));
        else resolve(answer.data);
      });
      request.send(body);
    });
  },

  // graphql-transport-ws over one shared socket; returns unsubscribe(). onComplete (optional) when the server ends it.
  subscribe(query, variables, onNext, onError, onComplete) {
    return subscriptions.subscribe(query, variables, onNext, onError, onComplete);
  },

  wsUrl(path) {
    return absolute(path, socketScheme());
  },

  restUrl(path) {
    return absolute(path, window.location.protocol);
  },
};

export default api;
