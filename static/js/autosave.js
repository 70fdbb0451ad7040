// Autosave of the postmortem editor (a form marked data-autosave-url): 1.5 s after typing stops,
// post the title and sections changed since the last save, with the revision the page holds,
// one save at a time. The answer's revision replaces the page's, so the next save (and the
// form's own Save button, which works without this script) starts from it. A 409 means someone
// else saved first: say so, offer a reload, and stop saving over their text.
(() => {
  const form = document.querySelector("form[data-autosave-url]");
  if (!form) return;
  const DELAY_MS = 1500;
  const status = document.getElementById("autosave-status");
  const revision = form.querySelector('input[name="revision"]');
  const csrf = form.querySelector('input[name="csrfmiddlewaretoken"]').value;
  const changed = new Set();
  let timer = null;
  let saving = false;
  let stopped = false;
  let submitting = false;

  const say = (words, state) => {
    status.textContent = words;
    status.dataset.state = state;
  };

  const stale = (message) => {
    stopped = true;
    status.textContent = `${message} `;
    const reload = document.createElement("a");
    reload.href = window.location.pathname;
    reload.textContent = "Reload";
    status.append(reload);
    status.dataset.state = "stale";
  };

  const save = async () => {
    timer = null;
    if (stopped || changed.size === 0) return;
    if (saving) {
      timer = setTimeout(save, DELAY_MS);
      return;
    }
    saving = true;
    const body = new FormData();
    body.append("csrfmiddlewaretoken", csrf);
    body.append("revision", revision.value);
    const sent = [...changed];
    changed.clear();
    for (const name of sent) body.append(name, form.elements[name].value);
    say("Saving…", "saving");
    try {
      const answer = await fetch(form.dataset.autosaveUrl, {
        method: "POST",
        body,
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
        credentials: "same-origin",
      });
      const reply = await answer.json();
      if (answer.ok) {
        revision.value = reply.revision;
        say(reply.message, "saved");
      } else if (answer.status === 409 && reply.error.code === "stale_revision") {
        stale(reply.error.message);
      } else {
        sent.forEach((name) => changed.add(name));
        say(reply.error.message, "error");
        if (answer.status === 403 || answer.status === 409) stopped = true;
      }
    } catch {
      sent.forEach((name) => changed.add(name));
      say("Not saved: the server did not answer. Retrying when you type again, or press Save.", "error");
    } finally {
      saving = false;
      if (submitting && !stopped) form.requestSubmit();
    }
  };

  form.addEventListener("input", (event) => {
    const name = event.target.name;
    if (!name || !(name === "title" || name.startsWith("section-"))) return;
    changed.add(name);
    if (stopped) return;
    say("Unsaved changes…", "dirty");
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  });

  // Leaving within the delay: send what is left as the page goes (sendBeacon outlives it).
  window.addEventListener("pagehide", () => {
    if (stopped || submitting || changed.size === 0 || !navigator.sendBeacon) return;
    const body = new FormData();
    body.append("csrfmiddlewaretoken", csrf);
    body.append("revision", revision.value);
    for (const name of changed) body.append(name, form.elements[name].value);
    navigator.sendBeacon(form.dataset.autosaveUrl, body);
  });

  form.addEventListener("submit", (event) => {
    clearTimeout(timer);
    // Refused if stale: reload first. While a save is on its way, Save waits for its revision.
    if (stopped || saving) {
      event.preventDefault();
      submitting = saving && !stopped;
    } else {
      submitting = true;  // the form carries every field: nothing to send as the page goes
    }
  });
})();
