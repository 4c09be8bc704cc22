// Live job output: while a job is queued or running, poll /jobs/{id}/live (the web page's
// own JSON, signed-in session) every 1.5 s and update each step's status and the log.
// Without JS the page still shows the state at load time; reloading shows more.
(function () {
  "use strict";
  var DONE = { succeeded: 1, failed: 1, cancelled: 1, done: 1, undone: 1 };
  var english = document.documentElement.lang === "en";
  // A workflow message is "Indonesia / English": the page shows its own language only.
  function pick(message) {
    var at = message.indexOf(" / ");
    if (at < 0 || message.indexOf(" / ", at + 3) >= 0) { return message; }
    return english ? message.slice(at + 3) : message.slice(0, at);
  }
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
          row.querySelector("[data-step-error]").textContent = pick(s.error || "");
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

// The agency's page shows a plain timeline, not the job: while the job runs, ask for its
// progress and load the page again when a step moved on (the timeline is drawn by the
// server; without JS, reloading the page shows the same).
(function () {
  "use strict";
  var watch = document.querySelector("[data-job-watch]");
  if (!watch) { return; }
  var url = watch.getAttribute("data-job-watch");
  var seen = null;
  function snapshot(job) {
    return job.state + ":" + job.steps.map(function (s) { return s.status; }).join(",");
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        var now = snapshot(job);
        if (seen !== null && now !== seen) { location.reload(); return; }
        seen = now;
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 4000); });
  }
  poll();
})();
