// A "Copy" button (data-copy="<input id>") copies that input's value and says so.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  const status = document.querySelector(`[data-copied-for="${button.dataset.copy}"]`);
  input.select();
  let copied = false;
  try {
    await navigator.clipboard.writeText(input.value);
    copied = true;
  } catch {
    copied = document.execCommand("copy");
  }
  if (status) status.textContent = copied ? "Copied." : "Select the text and copy it yourself.";
});
