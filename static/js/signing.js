// The signing step: copy buttons for the URL and the key (the Clipboard API; without it, or
// without JavaScript, the buttons stay hidden and the text can be selected), and, while the
// resident signs in the app (on this phone or another), a quiet check whether the signature has
// arrived: then a link to go on. The 「確認する」 button does the same without JavaScript.
(function () {
  "use strict";
  var copied = document.querySelector(".signing-copied");
  if (navigator.clipboard && window.isSecureContext && copied) {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          copied.textContent = copied.getAttribute("data-copied");
        }, function () {
          copied.textContent = copied.getAttribute("data-failed");
        });
      });
    });
  }
  var state = document.querySelector(".signing-state");
  if (!state || !window.fetch) {
    return;
  }
  var tries = 0;
  var timer = null;
  function check() {
    if (document.hidden || tries > 400) {
      return;
    }
    tries += 1;
    fetch(state.getAttribute("data-state-url"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (found) {
        if (found && found.signed && found.next_url) {
          window.clearInterval(timer);
          state.textContent = state.getAttribute("data-signed") + " ";
          var next = document.createElement("a");
          next.href = found.next_url;
          next.textContent = state.getAttribute("data-next");
          state.appendChild(next);
        }
      })
      .catch(function () { /* offline for a moment: the next check, or the button */ });
  }
  timer = window.setInterval(check, 4000);
  document.addEventListener("visibilitychange", check);
}());
