// Live job output: while a job is queued or running, poll /jobs/{id}/live (the web page's
// own JSON, signed-in session) every 1.5 s and update each step's status and the log.
// Without JS the page still shows the state at load time; reloading shows more.
(function () {
  "use strict";
  var DONE = { succeeded: 1, failed: 1, cancelled: 1, done: 1, undone: 1 };
  Array.prototype.forEach.call(document.querySelectorAll("[data-job-live]"), function (box) {
    var url = box.getAttribute("data-job-live");
    var log = box.querySelector("[data-job-log]");
    var stateEl = box.querySelector("[data-job-state]");
    var stickToBottom = true;
    log.addEventListener("scroll", function () {
      stickToBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    });

    function label(status) { return box.getAttribute("data-label-" + status) || status; }

    function render(job) {
      stateEl.textContent = label(job.state);
      stateEl.setAttribute("data-value", job.state);
      stateEl.className = "badge " + job.state;
      box.setAttribute("data-state", job.state);
      var text = "";
      job.steps.forEach(function (s) {
        var row = box.querySelector('[data-step="' + s.name + '"]');
        if (row) {
          var badge = row.querySelector("[data-step-status]");
          badge.textContent = label(s.status);
          badge.className = "badge " + s.status;
          row.querySelector("[data-step-error]").textContent = s.error || "";
        }
        if (s.log) { text += "== " + s.name + " ==\n" + s.log.slice(-4000) + "\n"; }
      });
      if (log.textContent !== text) {
        log.textContent = text;
        if (stickToBottom) { log.scrollTop = log.scrollHeight; }
      }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (job) {
          if (!job) { return; }
          render(job);
          if (!DONE[job.state]) { setTimeout(poll, 1500); }
          else if (box.getAttribute("data-reload") !== "done") {
            // The request's state and letters changed: load them once.
            box.setAttribute("data-reload", "done");
            if (document.getElementById("letters")) { setTimeout(function () { location.reload(); }, 500); }
          }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    if (!DONE[box.getAttribute("data-state")]) { poll(); }
  });
})();
