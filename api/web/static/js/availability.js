// Live name check on the new-request form: as the OPD types a label, ask the public API
// whether it is valid and free, and say so next to the field (aria-live). The form works
// without this script: the server checks the name again on submit.
(function () {
  "use strict";
  var input = document.getElementById("label");
  var out = document.getElementById("label-live");
  if (!input || !out) { return; }
  var note = document.getElementById("name-check-live");  // "checked as you type": now true
  if (note) { note.hidden = false; }
  var timer = null;
  var seq = 0;

  // Workflow messages are "Indonesia / English" in one string; the page speaks one
  // language, so keep the half of the page's language (part by part for joined reasons).
  function half(part) {
    var at = part.indexOf(" / ");
    if (at < 0 || part.indexOf(" / ", at + 3) >= 0) { return part; }
    return input.dataset.lang === "en" ? part.slice(at + 3) : part.slice(0, at);
  }
  function pick(message) {
    var count = message.split(" / ").length - 1;
    if (count === 1) { return half(message); }
    return message.split("; ").map(half).join("; ");
  }

  function show(ok, lines) {
    out.className = "avail " + (ok ? "ok-text" : "bad-text");
    out.textContent = lines.join(" ");
    input.setAttribute("aria-invalid", ok ? "false" : "true");
  }

  function check() {
    var label = input.value.trim().toLowerCase();
    if (!label) { out.textContent = ""; input.removeAttribute("aria-invalid"); return; }
    var mine = ++seq;
    out.className = "avail muted";
    out.textContent = input.dataset.checking;
    fetch("/api/v1/names/" + encodeURIComponent(label) + "/availability", {
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (resp) {
      return resp.json().then(function (body) { return { status: resp.status, body: body }; });
    }).then(function (r) {
      if (mine !== seq) { return; } // a newer keystroke already asked again
      var b = r.body;
      if (r.status === 200 && b.available) {
        show(true, [input.dataset.available + ": " + b.fqdn]);
      } else if (r.status === 200) {
        var lines = (b.reasons || []).map(pick);
        if (b.suggestions && b.suggestions.length) { lines.push("→ " + b.suggestions.join(", ")); }
        show(false, lines);
      } else {
        var detail = b.detail;  // 422: one entry per broken rule
        var shown = Array.isArray(detail) ? detail.map(function (d) { return pick(d.msg); })
                                          : [pick(String(detail || r.status))];
        if (b.suggestions && b.suggestions.length) { shown.push("→ " + b.suggestions.join(", ")); }
        show(false, shown);
      }
    }).catch(function () { if (mine === seq) { out.textContent = ""; } });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 350);
  });
  if (input.value) { check(); }
})();
