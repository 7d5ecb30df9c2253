// The curators' YAML editor (staff/templates/staff/content/editor.html): line numbers and light
// highlighting drawn beside and over the textarea, which stays the control itself (its label,
// keyboard and screen readers are untouched; the drawings are aria-hidden). Without this script the
// textarea works as it is.
// Unsaved text is kept in this tab (sessionStorage, keyed by draft and file) while typing, so a
// session that expires before 「保存する」 loses nothing: back on the editor after logging in, the
// text comes back, with a notice and a way to drop it. It is dropped when the file on the server
// has changed since (a save, or another change), so it never overwrites newer work.
(function () {
  "use strict";
  var area = document.querySelector("textarea[data-editor]");
  if (!area) { return; }
  var key = "content-editor:" + area.dataset.storageKey;
  var savedDigest = area.dataset.savedDigest || "";

  // --- keep and restore the unsaved text -----------------------------------------------------
  var store = null;
  try { store = window.sessionStorage; } catch (e) { store = null; }
  function keep() {
    if (!store) { return; }
    try { store.setItem(key, JSON.stringify({digest: savedDigest, text: area.value})); } catch (e) { /* full: nothing kept */ }
  }
  var kept = null;
  if (store) {
    try { kept = JSON.parse(store.getItem(key) || "null"); } catch (e) { kept = null; }
  }
  var notice = document.querySelector("[data-editor-restored]");
  if (kept && kept.digest === savedDigest && typeof kept.text === "string" && kept.text !== area.value
      && area.dataset.posted !== "1") {
    var original = area.value;
    area.value = kept.text;
    if (notice) {
      notice.hidden = false;
      var drop = notice.querySelector("button");
      if (drop) {
        drop.addEventListener("click", function () {
          area.value = original;
          store.removeItem(key);
          notice.hidden = true;
          draw();
          area.focus();
        });
      }
    }
  } else if (store && kept && (kept.digest !== savedDigest || kept.text === area.value)) {
    store.removeItem(key);  // saved, or older than the file on the server
  }

  // --- line numbers and highlighting ---------------------------------------------------------
  var wrap = document.createElement("div");
  wrap.className = "code-editor-wrap";
  var gutter = document.createElement("pre");
  gutter.className = "code-editor__gutter";
  gutter.setAttribute("aria-hidden", "true");
  var layer = document.createElement("pre");
  layer.className = "code-editor__layer";
  layer.setAttribute("aria-hidden", "true");
  var code = document.createElement("code");
  layer.appendChild(code);
  area.parentNode.insertBefore(wrap, area);
  wrap.appendChild(gutter);
  var box = document.createElement("div");
  box.className = "code-editor__box";
  wrap.appendChild(box);
  box.appendChild(layer);
  box.appendChild(area);
  area.setAttribute("wrap", "off");
  area.classList.add("code-editor--enhanced");

  function esc(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function span(kind, s) { return s ? '<span class="yaml-' + kind + '">' + esc(s) + "</span>" : ""; }
  var SCALAR = /^(true|false|yes|no|null|~|-?\d+(\.\d+)?|\d{4}-\d{2}-\d{2})$/i;

  function value(s) {
    // a value after 「key:」 or 「- 」: a quoted string, a comment, a plain scalar
    var m = s.match(/^(\s*)(.*)$/);
    var lead = m[1], rest = m[2];
    if (!rest) { return esc(s); }
    if (rest.charAt(0) === "#") { return esc(lead) + span("comment", rest); }
    if (rest.charAt(0) === '"' || rest.charAt(0) === "'") {
      var q = rest.charAt(0), end = rest.indexOf(q, 1);
      while (q === '"' && end > 0 && rest.charAt(end - 1) === "\\") { end = rest.indexOf(q, end + 1); }
      if (end > 0) { return esc(lead) + span("string", rest.slice(0, end + 1)) + value(rest.slice(end + 1)); }
      return esc(lead) + span("string", rest);
    }
    var hash = rest.search(/\s#/);
    var body = hash >= 0 ? rest.slice(0, hash) : rest;
    var tail = hash >= 0 ? rest.slice(hash) : "";
    var trimmed = body.replace(/\s+$/, "");
    var out = SCALAR.test(trimmed) ? span("scalar", trimmed) : esc(trimmed);
    out += esc(body.slice(trimmed.length));
    if (tail) { var sp = tail.match(/^\s*/)[0]; out += esc(sp) + span("comment", tail.slice(sp.length)); }
    return esc(lead) + out;
  }

  function line(s) {
    var m = s.match(/^(\s*)(#.*)$/);
    if (m) { return esc(m[1]) + span("comment", m[2]); }
    m = s.match(/^(\s*)(-\s+|-$)?(.*)$/);
    var out = esc(m[1]) + (m[2] ? span("dash", m[2]) : "");
    var rest = m[3];
    var k = rest.match(/^([^\s#'"{\[][^:#]*?|"[^"]*"|'[^']*'):(\s|$)(.*)$/);
    if (k) { return out + span("key", k[1]) + ":" + k[2] + value(k[3]); }
    return out + value(rest);
  }

  var frame = 0;
  function draw() {
    frame = 0;
    var lines = area.value.split("\n");
    code.innerHTML = lines.map(line).join("\n") + "\n";
    var numbers = [];
    for (var i = 1; i <= lines.length; i++) { numbers.push(i); }
    gutter.textContent = numbers.join("\n") + "\n";
    sync();
  }
  function sync() {
    layer.scrollTop = area.scrollTop;
    layer.scrollLeft = area.scrollLeft;
    gutter.scrollTop = area.scrollTop;
  }
  area.addEventListener("input", function () {
    keep();
    if (!frame) { frame = window.requestAnimationFrame(draw); }
  });
  area.addEventListener("scroll", sync);
  draw();
})();
