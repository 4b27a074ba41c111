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

// A button marked data-once cannot be pressed twice while its form is on its way (the server
// also makes a repeated order one order: this only spares the second request).
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (!button || !button.hasAttribute("data-once")) return;
  setTimeout(function () { button.disabled = true; }, 0);
});

// Copy buttons (shown only with JavaScript): copy the named field's text and say so.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
});
