// Consequential actions ask first: a form with data-confirm shows its question; "OK"
// marks the form confirmed and sends it, "Cancel" sends nothing. Without JavaScript the
// server asks the same question on a page of its own before it acts (api/web/confirm.py).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-confirm")) { return; }
    var field = form.querySelector('input[name="confirmed"]');
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    if (field) { field.value = "yes"; }
  });
})();
