// Behaviour the pages used to carry in onclick/onsubmit attributes, which the
// Content-Security-Policy forbids: ask before an irreversible action, print a receipt.
//   <form data-confirm="Withdraw your bid?">   asks before the form is submitted
//   <button data-confirm="…">                  asks before that button submits its form
//   <button data-print>                        prints the page
document.addEventListener("click", function (event) {
  const target = event.target.closest("[data-print], button[data-confirm]");
  if (!target) return;
  if (target.hasAttribute("data-print")) window.print();
  else if (!window.confirm(target.dataset.confirm)) event.preventDefault();
});
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

// The service worker (static/sw.js, served from the root so it covers every page) keeps the
// inspection forms for use without a connection.
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js");
