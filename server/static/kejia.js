// kejia: the little JavaScript the pages use. Everything works without it except the live
// count, which it keeps current over server-sent events.
"use strict";

// Live participant counts: elements with data-count-for="<activity id>" follow the server.
(function liveCounts() {
  const counters = document.querySelectorAll("[data-count-for]");
  if (counters.length === 0 || !window.EventSource) return;
  const source = new EventSource("/admin/live");
  source.addEventListener("count", (event) => {
    const change = JSON.parse(event.data);
    document.querySelectorAll("[data-count-for]").forEach((el) => {
      if (el.dataset.countFor === change.activity_id) el.textContent = String(change.participants);
    });
  });
  source.addEventListener("open", () => document.body.classList.add("live"));
})();

// Forms that undo or erase something ask first.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Print buttons.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
  if (event.target.closest("[data-back]")) { event.preventDefault(); history.back(); }
});
