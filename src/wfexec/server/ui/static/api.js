// Calls to Argo's REST API and wfexec's own JSON, with the token when the server asks for one.

const TOKEN_KEY = "wfexec.token";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

function headers(extra) {
  const h = { ...(extra || {}) };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

// One prompt at a time: the requests that met a 401 together wait for the same answer. `refused`
// says why the last token did not do.
let asking = null;

function askToken(refused) {
  if (!asking) {
    asking = (async () => {
      const dlg = document.getElementById("login");
      const input = document.getElementById("login-token");
      const why = document.getElementById("login-error");
      why.textContent = refused || "";
      why.hidden = !refused;
      input.value = "";
      dlg.returnValue = "";
      dlg.showModal();
      await new Promise((resolve) => dlg.addEventListener("close", resolve, { once: true }));
      const token = dlg.returnValue === "ok" ? input.value.trim() : "";
      input.value = "";
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      return Boolean(token);
    })().finally(() => { asking = null; });
  }
  return asking;
}

// A GET that fails below HTTP (the browser aborts requests in flight when the host's network
// changes, e.g. as Docker adds a bridge) is tried again; other methods are not repeated.
async function fetchOnce(path, init) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(path, init);
    } catch (e) {
      if (init.method !== "GET" || attempt >= 3) throw e;
      await new Promise((r) => setTimeout(r, 150 * (attempt + 1)));
    }
  }
}

async function readBody(res) {
  const text = await res.text();
  try { return text ? JSON.parse(text) : null; } catch { return { message: text }; }
}

// A 401 asks for a token (the token sent, if any, is forgotten) and the request goes again with it;
// after three refusals, or when no token is given, it fails with a message that says so.
export async function request(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const init = { method, headers: headers(body !== undefined ? { "content-type": "application/json" } : {}) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const sent = sessionStorage.getItem(TOKEN_KEY);
    const res = await fetchOnce(path, init);
    if (res.status === 401) {
      const data = await readBody(res);
      const reason = (data && data.message) || "HTTP 401";
      if (sent && sessionStorage.getItem(TOKEN_KEY) === sent) sessionStorage.removeItem(TOKEN_KEY);
      const now = sessionStorage.getItem(TOKEN_KEY);
      if (now && now !== sent && attempt < 3) continue; // another request was given a new token meanwhile
      const refused = sent ? `The server refused that token (${reason}). Check it and try again.` : "";
      if (attempt < 3 && (await askToken(refused))) continue;
      throw new ApiError(401, { message: sent ? `the server refused the token (${reason})`
        : "this server asks for a token and none was given" });
    }
    const data = await readBody(res);
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }
}

export const get = (p) => request("GET", p);
export const put = (p, b) => request("PUT", p, b === undefined ? {} : b);
export const post = (p, b) => request("POST", p, b);
export const del = (p) => request("DELETE", p);

// Read a newline-delimited JSON stream (Argo's watch and log streams); onItem gets each `result`.
// Returns an AbortController. With `reopen`, the stream is opened again whenever it ends; without,
// only when it broke (a few times), after `onRestart` (a log view starts over: the server sends the
// whole log again).
export function stream(path, onItem, { reopen = true, onRestart = null } = {}) {
  const ctl = new AbortController();
  (async () => {
    let delay = 250;
    let breaks = 0;
    while (!ctl.signal.aborted) {
      let broke = false;
      try {
        const res = await fetch(path, { headers: headers(), signal: ctl.signal });
        if (!res.ok || !res.body) throw new ApiError(res.status, null);
        delay = 250;
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          let nl;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              const msg = JSON.parse(line);
              if (msg.result) onItem(msg.result);
            } catch { /* a partial or non-JSON line: skip */ }
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
        broke = true;
      }
      if (!reopen && (!broke || ++breaks > 5)) return;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 4000);
      if (onRestart && !ctl.signal.aborted) onRestart();
    }
  })();
  return ctl;
}

export function q(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : "";
}

export const enc = encodeURIComponent;

// With a token (client auth), a plain link cannot carry it: fetch the file and hand it over as a blob.
export function hasToken() {
  return Boolean(sessionStorage.getItem(TOKEN_KEY));
}

export async function download(path, filename) {
  const res = await fetchOnce(path, { method: "GET", headers: headers() });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await res.blob());
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
}
