// A form marked data-confirm asks its question before it is sent: a deletion cannot be undone.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
