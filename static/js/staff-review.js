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

  // 補正: the next field's 「補正を求める」 after where the focus is (the first one from the top),
  // so a clerk reading down the form marks the field in front of them.
  function correction() {
    var marks = Array.prototype.slice.call(document.querySelectorAll("[data-correction-mark]"));
    if (!marks.length) { return false; }
    var here = document.activeElement;
    var mark = marks.filter(function (m) {
      return here && here !== document.body && !m.contains(here) &&
        (here.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING);
    })[0] || marks[0];
    mark.open = true;
    var box = mark.querySelector("textarea");
    (box || mark.querySelector("summary")).focus();
    return true;
  }

  // 補正: the message to the resident; pressed again there, the 「補正を依頼する」 button.
  function send() {
    var box = document.getElementById("correction-note");
    if (!box) { return false; }
    var button = document.querySelector('button[form="correction-form"]');
    (document.activeElement === box && button ? button : box).focus();
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

  var keys = {KeyA: forward, KeyR: reject, KeyC: correction, KeyS: send, KeyM: note, KeyN: next};
  document.addEventListener("keydown", function (event) {
    if (!enabled || !event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) { return; }
    var action = keys[event.code];
    if (action && action()) { event.preventDefault(); }
  });
})();
