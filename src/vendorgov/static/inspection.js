// The inspection form on a phone with a flaky connection or none (drafts.js keeps the drafts):
// every answer and photo is kept on the device as it is given, under the form's address, and
// restored when the form is opened again (after a reload, a restart, or offline from the
// service worker's copy). The draft keeps its client token, so however often it is sent the
// server stores one inspection. Submitted without a connection, it waits in the outbox and
// goes out when the connection returns. The messages come translated in the status element's
// data attributes.
(function () {
  const form = document.getElementById("inspection-form");
  const drafts = window.vendorgovDrafts;
  if (!form || !drafts) return;
  const status = document.getElementById("draft-status");
  const say = (name, detail) => {
    status.textContent = status.dataset[name] + (detail ? " " + detail : "");
  };
  const address = window.location.pathname + window.location.search;
  let draft = null;

  function fields() {
    const kept = {};
    for (const el of form.elements) {
      if (!el.name || el.type === "file" || el.name === "_csrf_token") continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      kept[el.name] = el.value;
    }
    return kept;
  }
  async function save(extra) {
    draft = { ...draft, fields: fields(), ...extra };
    await drafts.put(draft);
  }
  function restore() {
    for (const el of form.elements) {
      if (!(el.name in draft.fields) || el.type === "file" || el.name === "_csrf_token") continue;
      if (el.name === "client_token") continue;  // the draft's own token is the one sent
      if (el.type === "radio") el.checked = el.value === draft.fields[el.name];
      else el.value = draft.fields[el.name];
    }
    form.elements.client_token.value = draft.token;
  }

  function showPhotos(key) {
    const list = form.querySelector(`.kept-photos[data-item="${key}"]`);
    if (!list) return;
    list.replaceChildren();
    (draft.photos[key] || []).forEach((photo, index) => {
      const entry = document.createElement("li");
      const image = document.createElement("img");
      image.className = "thumb";
      image.alt = photo.name;
      image.src = URL.createObjectURL(photo.blob);
      const drop = document.createElement("button");
      drop.type = "button";
      drop.className = "small";
      drop.textContent = list.dataset.remove;
      drop.addEventListener("click", async () => {
        draft.photos[key].splice(index, 1);
        await save();
        showPhotos(key);
      });
      entry.append(image, " ", photo.name, " ", drop);
      list.append(entry);
    });
  }
  async function keepPhotos(input) {
    const key = input.name.replace(/^photo_/, "");
    const chosen = Array.from(input.files).map((f) => ({ name: f.name, type: f.type, blob: f }));
    draft.photos[key] = (draft.photos[key] || []).concat(chosen);
    input.value = "";  // kept in the draft now: sending takes them from there
    await save();
    showPhotos(key);
  }

  function sent(outcome) {
    if (outcome.ok) {
      window.location = outcome.redirect;
    } else if (outcome.offline) {
      say("queued");
    } else {
      draft.status = "draft";
      say("refused", outcome.detail);
    }
  }

  async function start() {
    draft = (await drafts.get(drafts.keyOf(address))) || null;
    if (draft) {
      restore();
      Object.keys(draft.photos).forEach(showPhotos);
      say(draft.status === "queued" ? "queued" : "restored", draft.message || "");
    } else {
      draft = {
        key: drafts.keyOf(address), user: drafts.user(), form: address,
        token: form.elements.client_token.value, photos: {}, status: "draft",
      };
      await save();
    }
    form.addEventListener("change", (event) => {
      if (event.target.type === "file") keepPhotos(event.target);
      else save();
    });
    form.addEventListener("input", (event) => { if (event.target.type !== "file") save(); });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await save({ status: "queued", message: "" });
      say("sending");
      sent(await drafts.send(draft));
    });
    // The outbox (drafts.js) sent this draft when the connection came back.
    window.addEventListener("vendorgov:draft-sent", (event) => {
      if (event.detail.draft.key === draft.key) sent(event.detail.outcome);
    });
  }
  start().catch((error) => say("unavailable", String(error)));
  // Opened before the service worker was installed (the first visit), the form did not pass
  // through it: ask it to keep a copy now, so the form opens without a connection next time.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.ready.then((registration) => {
      if (!navigator.serviceWorker.controller) registration.active.postMessage({ keep: address });
    });
  }
})();
