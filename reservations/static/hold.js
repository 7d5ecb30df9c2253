// The hold's time limit (WCAG 2.2.1): two minutes before it runs out the warning (role="alert") appears
// with its button focused; the button extends the hold in place (what was typed stays in the form).
// Without this script the page still says when the hold ends and the form's second button extends it.
(function () {
  var box = document.querySelector("[data-hold]");
  var form = document.querySelector("[data-hold-form]");
  if (!box || !form || !window.fetch) { return; }
  var WARN_MS = 120000;
  var warning = box.querySelector("[data-hold-warning]");
  var soon = box.querySelector("[data-hold-soon]");
  var over = box.querySelector("[data-hold-over]");
  var button = box.querySelector("[data-hold-extend]");
  var status = box.querySelector("[data-hold-status]");
  var extended = box.querySelector("template[data-hold-extended]");
  var timers = [];
  var before = null;  // where the focus was when the warning took it

  function schedule(secondsLeft) {
    timers.forEach(window.clearTimeout);
    var ms = secondsLeft * 1000;
    timers = [
      window.setTimeout(warn, Math.max(ms - WARN_MS, 0)),
      window.setTimeout(runOut, ms)
    ];
  }
  function warn() {
    soon.hidden = false;
    over.hidden = true;
    warning.hidden = false;
    if (button) {
      before = document.activeElement;
      button.focus();
    }
  }
  function runOut() {
    soon.hidden = true;
    over.hidden = false;
    warning.hidden = false;
  }
  function fallBack() {
    // the server decides (refused, ran out, no network): the form goes there with what was typed
    form.action = box.dataset.extendUrl;
    form.submit();
  }
  function extend() {
    fetch(box.dataset.extendUrl, {method: "POST", body: new FormData(form), credentials: "same-origin",
                                  headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (hold) {
        if (!hold) { fallBack(); return; }
        box.querySelectorAll("[data-hold-time]").forEach(function (el) { el.textContent = hold.until; });
        extended.content.querySelectorAll("[data-hold-time]").forEach(function (el) { el.textContent = hold.until; });
        warning.hidden = true;
        status.replaceChildren(extended.content.cloneNode(true));
        if (!hold.extensions_left) {
          document.querySelectorAll("[data-hold-extend], [data-hold-extend-form], [data-hold-extend-hint]").forEach(function (el) { el.remove(); });
          button = null;
        }
        if (before && document.contains(before)) { before.focus(); }
        before = null;
        schedule(hold.seconds_left);
      })
      .catch(fallBack);
  }
  if (button) { button.addEventListener("click", extend); }
  schedule(parseInt(box.dataset.secondsLeft, 10) || 0);
})();
