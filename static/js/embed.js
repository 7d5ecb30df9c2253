// The widget snippet for the city's homepage (docs/embedding.md):
//   <script src="https://<guide>/embed.js" data-widget="events|search|guide|crowding" data-event="moving_in"
//           data-site="shiyakusho" (crowding: a site id of reservations.yaml)
//           data-lang="ja|easy|en|zh|ko|vi|pt" async></script>
// finds its own <script> element, puts an iframe of the widget right after it (from the origin
// this script was loaded from) and sizes the iframe to its content: the framed page posts
// {type: "guide-widget:height", height} (static/js/embed-frame.js). Messages are accepted only
// from that origin AND that iframe's window; heights are capped, so nothing can grow forever.
(function () {
  "use strict";
  var TYPE = "guide-widget:height";
  var MIN_HEIGHT = 120;
  var MAX_HEIGHT = 6000;
  var WIDGETS = { events: "/embed/events", search: "/embed/search", guide: "/embed/guide/", crowding: "/embed/crowding/" };
  // the frame's accessible name before its page loads, per language of the site (core/languages.py)
  var TITLES = {
    ja: { events: "くらしの手続きガイド：できごとを選ぶ", search: "手続きを探す", guide: "くらしの手続きガイド", crowding: "窓口の混雑状況" },
    easy: { events: "てつづきの あんない：できごとを えらぶ", search: "てつづきを さがす", guide: "てつづきの あんない", crowding: "まどぐちの こみぐあい" },
    en: { events: "Procedures guide: choose a life event", search: "Find a procedure", guide: "Procedures guide", crowding: "How busy the counters are" },
    zh: { events: "手续指南：选择生活事项", search: "查找手续", guide: "手续指南", crowding: "窗口拥挤情况" },
    ko: { events: "절차 안내: 생활 사건 선택", search: "절차 찾기", guide: "절차 안내", crowding: "창구 혼잡 상황" },
    vi: { events: "Hướng dẫn thủ tục: chọn sự kiện", search: "Tìm thủ tục", guide: "Hướng dẫn thủ tục", crowding: "Mức đông tại quầy" },
    pt: { events: "Guia de procedimentos: escolha um evento", search: "Buscar procedimento", guide: "Guia de procedimentos", crowding: "Movimento nos balcões" }
  };
  var ALIASES = { "zh-hans": "zh", "zh-cn": "zh", "pt-br": "pt" };

  function language(asked) {
    var code = (asked || "ja").toLowerCase();
    code = ALIASES[code] || code;
    return Object.prototype.hasOwnProperty.call(TITLES, code) ? code : "ja";
  }

  function scripts() {
    var found = [];
    if (document.currentScript && document.currentScript.getAttribute("data-widget")) {
      found.push(document.currentScript);
    }
    // async scripts may run after currentScript is gone, and one copy of this file may serve
    // several snippets: every snippet not set up yet
    var all = document.querySelectorAll("script[data-widget]");
    for (var i = 0; i < all.length; i++) {
      if (found.indexOf(all[i]) < 0 && /\/embed\.js(\?|#|$)/.test(all[i].src)) {
        found.push(all[i]);
      }
    }
    return found;
  }

  function setUp(script) {
    if (script.getAttribute("data-widget-ready")) {
      return;
    }
    var widget = script.getAttribute("data-widget");
    var event = script.getAttribute("data-event") || "";
    var site = script.getAttribute("data-site") || "";
    var lang = language(script.getAttribute("data-lang"));
    if (!Object.prototype.hasOwnProperty.call(WIDGETS, widget) || (widget === "guide" && !/^[a-z0-9_]+$/.test(event)) ||
        (widget === "crowding" && !/^[a-z0-9_]+$/.test(site))) {
      return;
    }
    script.setAttribute("data-widget-ready", "1");
    var origin = new URL(script.src, document.baseURI).origin;
    var frame = document.createElement("iframe");
    frame.src = origin + WIDGETS[widget] + (widget === "guide" ? event : widget === "crowding" ? site : "") + "?lang=" + lang;
    frame.title = script.getAttribute("data-title") || TITLES[lang][widget];
    frame.setAttribute("width", "100%");
    frame.setAttribute("height", String(widget === "search" ? 200 : 600));
    frame.style.border = "0";
    frame.style.width = "100%";
    frame.style.display = "block";
    script.parentNode.insertBefore(frame, script.nextSibling);

    window.addEventListener("message", function (message) {
      if (message.origin !== origin || message.source !== frame.contentWindow) {
        return;
      }
      var data = message.data;
      if (!data || data.type !== TYPE || typeof data.height !== "number" || !isFinite(data.height)) {
        return;
      }
      var height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.ceil(data.height)));
      if (String(height) !== frame.getAttribute("height")) {
        frame.setAttribute("height", String(height));
        frame.style.height = height + "px";
      }
    });
  }

  scripts().forEach(setUp);
}());
