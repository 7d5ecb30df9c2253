// The hall display: refreshes its board in place every few seconds (without JavaScript, the
// <noscript> meta refresh reloads the whole page); a failed fetch keeps the last board.
// 全画面表示 uses the Fullscreen API; the chime (off unless switched on, or ?chime=1) is a
// two-tone sound made with Web Audio when a new number is called — no sound file.
(function () {
  "use strict";
  var board = document.getElementById("display-board");
  if (!board || !window.fetch || !window.DOMParser) { return; }
  var seconds = parseInt(board.getAttribute("data-refresh"), 10) || 10;
  var controls = document.querySelector("[data-display-controls]");
  var fullButton = document.querySelector("[data-fullscreen]");
  var chimeButton = document.querySelector("[data-chime]");
  var AudioContextClass = window.AudioContext || window.webkitAudioContext;
  var audio = null;
  var chimeOn = chimeButton && chimeButton.getAttribute("aria-pressed") === "true";

  if (controls) { controls.hidden = false; }

  // --- full screen ---
  var root = document.documentElement;
  if (fullButton) {
    if (!root.requestFullscreen) {
      fullButton.hidden = true;
    } else {
      var fullLabel = fullButton.textContent;
      fullButton.addEventListener("click", function () {
        if (document.fullscreenElement) {
          document.exitFullscreen();
        } else {
          root.requestFullscreen().catch(function () { /* refused by the browser: stay as is */ });
        }
      });
      document.addEventListener("fullscreenchange", function () {
        fullButton.textContent = document.fullscreenElement ? fullButton.getAttribute("data-label-exit") : fullLabel;
      });
    }
  }

  // --- chime ---
  function context() {
    if (!AudioContextClass) { return null; }
    if (!audio) { audio = new AudioContextClass(); }
    if (audio.state === "suspended") { audio.resume(); }
    return audio;
  }
  function tone(ctx, frequency, start, length) {
    var osc = ctx.createOscillator();
    var gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.4, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    osc.connect(gain);
    gain.connect(ctx.destination);
    osc.start(start);
    osc.stop(start + length + 0.05);
  }
  function chime() {
    var ctx = context();
    if (!ctx) { return; }
    var now = ctx.currentTime;
    tone(ctx, 880, now, 0.6);       // ピン
    tone(ctx, 659.25, now + 0.5, 0.9); // ポーン
  }
  if (chimeButton) {
    if (!AudioContextClass) {
      chimeButton.hidden = true;
    } else {
      chimeButton.addEventListener("click", function () {
        chimeOn = !chimeOn;
        chimeButton.setAttribute("aria-pressed", chimeOn ? "true" : "false");
        chimeButton.textContent = chimeButton.getAttribute(chimeOn ? "data-label-on" : "data-label-off");
        if (chimeOn) { chime(); }  // switching on is a user gesture: the browser allows sound from now on
      });
      if (chimeOn) { context(); }  // ?chime=1: a kiosk browser may still wait for a first touch
    }
  }

  // --- refresh ---
  function refresh() {
    fetch(window.location.href, { headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("display-board");
        if (!fresh) { return; }
        var before = board.getAttribute("data-latest");
        var after = fresh.getAttribute("data-latest");
        board.innerHTML = fresh.innerHTML;
        board.setAttribute("data-latest", after || "");
        var latest = document.getElementById("display-latest");
        var news = doc.getElementById("display-latest");
        if (after && after !== before) {
          if (latest && news) { latest.textContent = news.textContent; }  // announced once per new call
          if (chimeOn) { chime(); }
        }
      })
      .catch(function () { /* keep showing the last board */ });
  }
  window.setInterval(refresh, seconds * 1000);
}());
