// The new-request form: fields that do not apply are disabled as well as hidden (the
// stylesheet hides them without JavaScript; the server does not read them): the
// repository, branch, stack and database without hosting, the target address with it.
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  var hosting = document.getElementById("hosting");
  if (!form || !hosting) { return; }
  function toggle() {
    var on = hosting.checked;
    [["hosting-only", !on], ["no-hosting-only", on]].forEach(function (pair) {
      var box = document.getElementById(pair[0]);
      if (!box) { return; }
      box.hidden = pair[1];
      Array.prototype.forEach.call(box.querySelectorAll("input, select, textarea"), function (el) {
        el.disabled = pair[1];
      });
    });
  }
  hosting.addEventListener("change", toggle);
  toggle();
})();
