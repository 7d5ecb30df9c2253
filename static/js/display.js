// The hall display refreshes its board in place every few seconds (without JavaScript, the
// <noscript> meta refresh reloads the whole page). A failed fetch keeps the last board.
(function () {
  var board = document.getElementById("display-board");
  if (!board || !window.fetch || !window.DOMParser) { return; }
  var seconds = parseInt(board.getAttribute("data-refresh"), 10) || 10;
  function refresh() {
    fetch(window.location.href, { headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("display-board");
        if (!fresh) { return; }
        board.innerHTML = fresh.innerHTML;
        var latest = document.getElementById("display-latest");
        var news = doc.getElementById("display-latest");
        if (latest && news && latest.textContent !== news.textContent) {
          latest.textContent = news.textContent;  // announced once per new call
        }
      })
      .catch(function () { /* keep showing the last board */ });
  }
  window.setInterval(refresh, seconds * 1000);
}());
