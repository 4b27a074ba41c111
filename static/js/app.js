// Progressive enhancement only: every page works without this file.
// Esc closes the open account menu and gives the focus back to its button.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
    menu.removeAttribute("open");
    var summary = menu.querySelector("summary");
    if (summary) summary.focus();
  });
});

// After a form comes back with errors, the keyboard focus goes to the first field to fix.
document.addEventListener("DOMContentLoaded", function () {
  var first = document.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
});
