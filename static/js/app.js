// Behaviour every page shares that would otherwise sit in inline event handlers, which the
// Content-Security-Policy refuses: a form with data-confirm="question" asks before it is sent.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A select with data-reload-on-change reloads the page for its new value (the start form lists the connectors
// for the chosen vehicle); what only a page without script needs, e.g. the button doing the same, is .js-hidden.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!select.matches || !select.matches("select[data-reload-on-change]") || !select.value) return;
  const url = new URL(location.href);
  url.searchParams.set(select.name, select.value);
  location.assign(url);
});
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll(".js-hidden")) el.style.display = "none";
});
