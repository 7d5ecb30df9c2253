// Keeps the ticks of the result page's checklist on this device (localStorage, keyed by the
// result's address). Without JavaScript, or without storage, the boxes still tick; nothing is sent.
(function () {
  var section = document.querySelector("[data-checklist]");
  if (!section) { return; }
  var key = "checklist:" + (section.getAttribute("data-checklist") || window.location.pathname + window.location.search);
  var store;
  try {
    store = window.localStorage;
    store.setItem("checklist:probe", "1");
    store.removeItem("checklist:probe");
  } catch (e) {
    return; // private mode or storage disabled: ticking still works for this visit
  }
  var boxes = section.querySelectorAll("input[type=checkbox]");
  var saved = {};
  try { saved = JSON.parse(store.getItem(key) || "{}") || {}; } catch (e) { saved = {}; }
  boxes.forEach(function (box) {
    if (saved[box.value]) { box.checked = true; }
    box.addEventListener("change", function () {
      var now = {};
      boxes.forEach(function (b) { if (b.checked) { now[b.value] = 1; } });
      try { store.setItem(key, JSON.stringify(now)); } catch (e) { /* storage full: keep going */ }
    });
  });
  var note = section.querySelector("[data-checklist-note]");
  if (note) { note.hidden = false; }
})();
