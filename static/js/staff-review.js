// The review screen of one application (staff/templates/staff/applications/detail.html).
// Without this file everything works (forms post, the 定型文 are appended by the server).
// With it: a chosen 定型文 goes into its comment at once; the "done" banner gets the focus;
// keyboard shortcuts with Alt+Shift (WCAG 2.1.4: never a single key) move to the common actions,
// they never submit anything by themselves.
(function () {
  "use strict";

  // 定型文: insert the phrase into the comment it belongs to, then reset the select so the
  // server does not append it a second time.
  document.querySelectorAll("select[data-phrase-target]").forEach(function (select) {
    select.addEventListener("change", function () {
      var target = document.getElementById(select.dataset.phraseTarget);
      var option = select.options[select.selectedIndex];
      if (!target || !select.value) { return; }
      var text = option.text;
      if (target.value.indexOf(text) === -1) {
        target.value = target.value.replace(/\s+$/, "") + (target.value.trim() ? "\n" : "") + text;
      }
      select.value = "";
      target.focus();
    });
  });

  var done = document.querySelector("[data-review-done]");
  if (done && !document.querySelector(".error-summary")) { done.focus(); }

  function statusRadio(values) {
    for (var i = 0; i < values.length; i++) {
      var radio = document.querySelector('[data-status-form] input[name="to"][value="' + values[i] + '"]');
      if (radio) { return radio; }
    }
    return null;
  }

  function forward() {  // 審査中 / 承認 / 発行済 / 完了: the next step forward
    var radio = statusRadio(["approved", "reviewing", "issued", "completed"]);
    if (!radio) { return false; }
    radio.checked = true;
    var button = radio.form.querySelector('button[type="submit"]');
    (button || radio).focus();
    return true;
  }

  function reject() {
    var radio = statusRadio(["rejected"]);
    if (!radio) { return false; }
    radio.checked = true;
    var note = radio.form.querySelector("textarea[name=note]");
    (note || radio).focus();
    return true;
  }

  function correction() {
    var mark = document.querySelector("[data-correction-mark]");
    if (!mark) { return false; }
    mark.open = true;
    var box = mark.querySelector("textarea");
    (box || mark.querySelector("summary")).focus();
    return true;
  }

  function note() {
    var box = document.getElementById("internal_note");
    if (!box) { return false; }
    box.focus();
    return true;
  }

  function next() {
    var link = document.querySelector('a[data-shortcut="next"]');
    if (!link) { return false; }
    window.location.assign(link.href);
    return true;
  }

  // the shortcuts can be turned off (e.g. where Alt+Shift switches the keyboard layout)
  var STORE = "staff-review-shortcuts";
  function stored() { try { return window.localStorage.getItem(STORE); } catch (e) { return null; } }
  var enabled = stored() !== "off";
  var toggle = document.getElementById("shortcuts-on");
  if (toggle) {
    toggle.checked = enabled;
    document.querySelector("[data-shortcut-switch]").hidden = false;
    toggle.addEventListener("change", function () {
      enabled = toggle.checked;
      try { window.localStorage.setItem(STORE, enabled ? "on" : "off"); } catch (e) { /* private mode */ }
    });
  }

  var keys = {KeyA: forward, KeyR: reject, KeyC: correction, KeyM: note, KeyN: next};
  document.addEventListener("keydown", function (event) {
    if (!enabled || !event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) { return; }
    var action = keys[event.code];
    if (action && action()) { event.preventDefault(); }
  });
})();
