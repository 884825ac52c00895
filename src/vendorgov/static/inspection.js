// The inspection form on a phone with a flaky connection: answers are kept on the device as
// they are given (localStorage, by the draft's token) and restored if the page is reloaded;
// sending retries when the connection comes back. The server stores a draft token once, so a
// draft sent twice is one inspection. Photos stay attached while the page is open.
(function () {
  const form = document.getElementById("inspection-form");
  if (!form) return;
  const key = "vendorgov-inspection-" + form.dataset.draft;
  const status = document.getElementById("draft-status");
  const say = (text) => { status.textContent = text; };

  function save() {
    const fields = {};
    for (const el of form.elements) {
      if (!el.name || el.type === "file" || el.type === "hidden") continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      fields[el.name] = el.value;
    }
    localStorage.setItem(key, JSON.stringify(fields));
  }
  function restore() {
    const saved = JSON.parse(localStorage.getItem(key) || "null");
    if (!saved) return;
    for (const el of form.elements) {
      if (!(el.name in saved)) continue;
      if (el.type === "radio") el.checked = el.value === saved[el.name];
      else if (el.type !== "file") el.value = saved[el.name];
    }
    say("Restored the answers kept on this phone.");
  }
  async function send() {
    say("Sending…");
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      if (response.ok) {
        localStorage.removeItem(key);
        window.location = (await response.json()).redirect;
        return;
      }
      const problem = await response.json().catch(() => ({}));
      say("Not stored: " + (problem.detail || response.statusText));
    } catch (offline) {
      say("No connection: the inspection is kept on this phone and will be sent when the connection returns.");
      window.addEventListener("online", send, { once: true });
    }
  }
  restore();
  form.addEventListener("change", save);
  form.addEventListener("input", save);
  form.addEventListener("submit", (event) => { event.preventDefault(); save(); send(); });
})();
