// Inspection drafts kept on the device (IndexedDB, so they outlive reloads and restarts of the
// browser) and the outbox that sends the ones submitted without a connection.
//
// A draft is {key, user, form, token, fields, photos, status, message}: `user` is the account
// that wrote it (a phone may be shared: a draft is shown to, and sent by, that account only),
// `form` the address of the form it belongs to, `key` both together, `token` the client token the server stores the inspection under
// (chosen once, kept with the draft: sending the draft again stores nothing new), `photos`
// {item key: [{name, type, blob}]}, `status` "draft" or "queued" (submitted, not yet stored).
// Loaded on every page, so drafts queued while offline go out as soon as a page is open with
// a connection.
(function () {
  const DB = "vendorgov-offline";
  const STORE = "drafts";

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async function run(mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => { db.close(); resolve(request && request.result); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    });
  }
  const get = (key) => run("readonly", (s) => s.get(key));
  const put = (draft) => run("readwrite", (s) => s.put(draft));
  const remove = (key) => run("readwrite", (s) => s.delete(key));
  const all = () => run("readonly", (s) => s.getAll());

  // The logged-in account (base.html), "" on a page without one.
  function user() {
    const meta = document.querySelector("meta[name=vendorgov-user]");
    return meta ? meta.content : "";
  }
  const keyOf = (form) => user() + " " + form;

  function csrfToken() {
    const field = document.querySelector("input[name=_csrf_token]");
    return field ? field.value : "";
  }

  // One send at a time per draft in this page (an "online" event and a click together).
  const sending = new Map();

  // Sends a draft; resolves to {ok, redirect} or {ok: false, offline, detail}.
  function send(draft) {
    if (sending.has(draft.key)) return sending.get(draft.key);
    const body = new FormData();
    for (const [name, value] of Object.entries(draft.fields)) body.append(name, value);
    body.set("client_token", draft.token);
    for (const [key, photos] of Object.entries(draft.photos || {})) {
      for (const photo of photos) body.append("photo_" + key, photo.blob, photo.name);
    }
    const attempt = (async () => {
      let response;
      try {
        response = await fetch("/inspections", {
          method: "POST", body, credentials: "same-origin",
          headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken() },
        });
      } catch (offline) {
        return { ok: false, offline: true };
      }
      if (response.ok) {
        await remove(draft.key);
        return { ok: true, redirect: (await response.json()).redirect };
      }
      const problem = await response.json().catch(() => ({}));
      const detail = problem.detail || response.statusText;
      // Refused (a wrong answer, a contract no longer in force, logged out): the draft goes
      // back to the supervisor with the reason instead of being retried for ever.
      await put({ ...draft, status: "draft", message: detail });
      return { ok: false, offline: false, detail };
    })();
    sending.set(draft.key, attempt);
    attempt.finally(() => sending.delete(draft.key));
    return attempt;
  }

  async function flush() {
    if (!navigator.onLine || !user()) return;
    for (const draft of await all()) {
      if (draft.status === "queued" && draft.user === user()) {
        const outcome = await send(draft);
        window.dispatchEvent(new CustomEvent("vendorgov:draft-sent", { detail: { draft, outcome } }));
      }
    }
  }

  window.vendorgovDrafts = { get, put, remove, send, flush, user, keyOf };
  window.addEventListener("online", flush);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", flush);
  else flush();
})();
