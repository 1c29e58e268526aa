/* global document */
// The console's only script (CSP: script-src 'self'): ledger filters apply as soon as one changes.
document.addEventListener("DOMContentLoaded", () => {
  const filters = document.getElementById("filters");
  if (filters) {
    for (const el of filters.querySelectorAll("select, input[type=checkbox]")) {
      el.addEventListener("change", () => filters.requestSubmit());
    }
  }
});
