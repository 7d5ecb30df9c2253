// In a widget or guide page shown inside an iframe (static/js/embed.js): post the content's
// height to the framing page whenever it changes. The body's own height is measured (never the
// viewport's, and the body loses its min-height: 100vh in a frame), so a taller iframe never
// makes a taller page: no endless growth. Only a height is sent, nothing the resident typed.
// Links that leave the guide (the site's home, applications, reservations, procedure pages, other
// sites) open in the whole window: those pages refuse to be framed (frame-ancestors 'none').
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  var root = document.documentElement;
  root.classList.add("in-frame");
  var last = -1;

  function post() {
    var body = document.body;
    if (!body) {
      return;
    }
    var height = Math.ceil(body.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: "guide-widget:height", height: height }, "*");
    }
  }

  function staysInFrame(url) {
    return url.origin === window.location.origin && /^\/(guide|embed)\//.test(url.pathname);
  }

  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
    if (link && !link.hasAttribute("download") && !staysInFrame(new URL(link.href, document.baseURI))) {
      link.setAttribute("target", "_top");
    }
  }, true);

  function start() {
    post();
    if (window.ResizeObserver) {
      new ResizeObserver(post).observe(document.body);
    } else {
      window.addEventListener("resize", post);
    }
    window.addEventListener("load", post);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
