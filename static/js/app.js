// Behaviour every page shares that would otherwise sit in inline event handlers, which the
// Content-Security-Policy refuses: a form with data-confirm="question" asks before it is sent.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
