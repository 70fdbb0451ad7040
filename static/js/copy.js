// A "Copy" button (data-copy="<id>") copies the value of that input, or the text of that element,
// and says so in the status it names (data-copied-for="<id>", or #copy-status).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const status =
    document.querySelector(`[data-copied-for="${button.dataset.copy}"]`) ||
    document.getElementById("copy-status");
  const isInput = "value" in source && source.tagName !== "BUTTON";
  const text = isInput ? source.value : source.textContent.trim();
  const said = (words) => {
    if (status) status.textContent = words;
    button.dataset.copied = words === "Copied." ? "yes" : "no";
  };
  const fallback = () => {
    if (isInput) {
      source.select();
    } else {
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    said(document.execCommand("copy") ? "Copied." : "Selected: press Ctrl+C or Cmd+C to copy.");
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => said("Copied."), fallback);
  } else {
    fallback();
  }
});
