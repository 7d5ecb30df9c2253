// Warns two minutes before the staff session's idle timeout (WCAG 2.2.1) and extends it on request.
(function () {
  var box = document.querySelector(".session-timeout");
  if (!box) { return; }
  var warning = box.querySelector("[data-timeout-warning]");
  var form = box.querySelector("form");
  function schedule() {
    fetch(box.dataset.sessionUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { return; }
        var ms = new Date(s.idle_deadline).getTime() - Date.now() - 120000;
        window.setTimeout(function () { warning.hidden = false; form.querySelector("button").focus(); }, Math.max(ms, 0));
      });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (r) { if (r.ok) { warning.hidden = true; schedule(); } else { form.submit(); } });
  });
  schedule();
})();
