// The API client: JSON in and out; every answer becomes {ok, status, data, error}.
import { readerToken } from "./store.js";

// signIn: the token the site signed for its logged-in reader (data-engage-sso, or the page's
// window.engageSSO callback, which may answer a promise), or nothing for a guest.
export function client(base, site, signIn = () => "") {
  async function call(method, path, { query, body, headers } = {}) {
    const url = new URL(`/api/v1${path}`, base);
    for (const [key, value] of query || []) url.searchParams.append(key, value);
    // Reads carry no custom header: a simple GET needs no CORS preflight round trip (and the
    // public reads are the same for everyone, signed in or not).
    const init = { method, headers: method === "GET" ? {} : { "X-Engage-Reader": readerToken(), ...headers } };
    const sso = method !== "GET" && (await signIn());
    if (sso) init.headers["X-Engage-SSO"] = sso;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch {
      return { ok: false, status: 0, error: { code: "network" } };
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch {
        data = null;
      }
    }
    const error = response.ok ? null : (data && data.error) || { code: "unavailable" };
    // A sign-in token the server does not trust, or none where the site wants one: the reader
    // must sign in on the site (again), whatever else the code says.
    if (response.status === 401) error.code = "login_required";
    if (error && response.status === 429) {
      error.retry_after = error.retry_after || Number(response.headers.get("Retry-After")) || 60;
    }
    return { ok: response.ok, status: response.status, data, error };
  }
  return {
    base,
    site,
    // Who the token says the reader is ({name, badge…}), read from it, not checked: the server
    // checks it on every write.
    me() {
      try {
        return JSON.parse(decodeURIComponent(escape(atob(signIn().split(".")[1].replace(/-/g, "+").replace(/_/g, "/")))));
      } catch {
        /* a guest, or a token only a promise gives: the server still knows who it is */
      }
    },
    thread: (article, sort, cursor) =>
      call("GET", "/thread", {
        query: [["site", site], ["article", article], ["sort", sort], ...(cursor ? [["cursor", cursor]] : [])],
      }),
    replies: (article, cursor) =>
      call("GET", "/replies", { query: [["site", site], ["article", article], ["cursor", cursor]] }),
    counts: (articles) => call("GET", "/counts", { query: [["site", site], ...articles.map((a) => ["article", a])] }),
    formToken: () => call("GET", "/form-token", { query: [["site", site]] }),
    post: (body) => call("POST", "/comments", { body: { site, ...body } }),
    edit: (id, token, body) => call("PATCH", `/comments/${id}`, { body: { body }, headers: { "X-Engage-Edit-Token": token } }),
    remove: (id, token) => call("DELETE", `/comments/${id}`, { headers: { "X-Engage-Edit-Token": token } }),
    like: (id, on) => call(on ? "POST" : "DELETE", `/comments/${id}/like`),
    flag: (id, reason, note) => call("POST", `/comments/${id}/flag`, { body: { reason, note } }),
    react: (ref, reaction) =>
      reaction
        ? call("PUT", "/reaction", { body: { site, ...ref, reaction } })
        : call("DELETE", "/reaction", { query: [["site", site], ["article", ref.article]] }),
    share: (ref, network) => call("POST", "/shares", { body: { site, ...ref, network } }),
  };
}
