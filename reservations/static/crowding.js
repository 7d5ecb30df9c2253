// 混雑状況 (reservations/crowding_views.py): the "now" part (#crowding-live) is fetched again every
// data-refresh seconds and swapped in place (aria-live="polite" announces the change); a failed
// fetch keeps the last figures. Without JavaScript the page has a reload link, the widget a
// <noscript> refresh.
(function () {
  "use strict";
  var live = document.getElementById("crowding-live");
  if (!live || !window.fetch || !window.DOMParser) { return; }
  var seconds = parseInt(live.getAttribute("data-refresh"), 10) || 60;
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("crowding-live");
        if (fresh && fresh.innerHTML !== live.innerHTML) { live.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* offline a moment: keep what is shown */ });
  }
  window.setInterval(refresh, seconds * 1000);
}());
