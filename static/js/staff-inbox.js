/* Keyboard shortcuts of the staff inbox. Off until the clerk turns them on (the choice is kept
   in this browser); always with Alt, and never while typing in a field (WCAG 2.1.4). Every
   move also works with Tab, Space and Enter: nothing here is needed. */
(function () {
  "use strict";
  var KEY = "staff-inbox-shortcuts";
  var toggle = document.querySelector("[data-inbox-shortcuts-toggle]");
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-inbox-row]"));
  if (!toggle || !rows.length) return;
  var current = -1;
  try { toggle.checked = window.localStorage.getItem(KEY) === "on"; } catch (e) { /* private mode */ }
  toggle.addEventListener("change", function () {
    try { window.localStorage.setItem(KEY, toggle.checked ? "on" : "off"); } catch (e) { /* ignore */ }
  });

  function focusRow(index) {
    if (current >= 0 && rows[current]) rows[current].classList.remove("is-current");
    current = Math.max(0, Math.min(rows.length - 1, index));
    var row = rows[current];
    row.classList.add("is-current");
    var box = row.querySelector("input[type=checkbox]");
    if (box) box.focus();
  }

  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" && target.type !== "checkbox" || tag === "TEXTAREA" || tag === "SELECT" ||
      (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (!toggle.checked || !event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var key = (event.code || "").replace("Key", "").toLowerCase();
    if (key === "j") focusRow(current + 1);
    else if (key === "k") focusRow(current < 0 ? 0 : current - 1);
    else if (key === "x" && current >= 0) {
      var box = rows[current].querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; box.focus(); }
    } else if (key === "o" && current >= 0) {
      var link = rows[current].querySelector("[data-inbox-open]");
      if (link) window.location.href = link.href;
    } else if (key === "b") {
      var action = document.getElementById("action");
      if (action) action.focus();
    } else return;
    event.preventDefault();
  });
})();
