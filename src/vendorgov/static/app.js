// On a phone (app.css) the header's menu opens and closes with its button.
document.addEventListener("click", function (event) {
  const toggle = event.target.closest("button.menu-toggle");
  if (!toggle) return;
  const open = toggle.closest("header").classList.toggle("open");
  toggle.setAttribute("aria-expanded", String(open));
});

// On a phone (app.css) each table row is a card and each cell is labelled with its column's
// header: copy the header text into the cells' data-label, here rather than in every template.
// A cell spanning several columns (a row heading, an empty-list message) keeps no label.
function labelTableCells() {
  for (const table of document.querySelectorAll("table.data")) {
    const head = table.tHead && table.tHead.rows[0];
    if (!head) continue;
    const labels = [];
    for (const th of head.cells) {
      const text = th.textContent.replace(/[▲▼]/g, "").replace(/\s+/g, " ").trim();
      for (let i = 0; i < th.colSpan; i++) labels.push(text);
    }
    for (const section of [...table.tBodies, table.tFoot]) {
      if (!section) continue;
      for (const row of section.rows) {
        let column = 0;
        for (const cell of row.cells) {
          if (cell.colSpan === 1 && labels[column]) cell.dataset.label = labels[column];
          column += cell.colSpan;
        }
      }
    }
  }
}
labelTableCells();
document.addEventListener("htmx:afterSettle", labelTableCells);

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
