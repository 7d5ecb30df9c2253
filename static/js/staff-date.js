/* The 和暦 beside each staff date field (staff/_date_field.html), updated as the date changes.
   The server renders it for the value the page was sent with; this keeps it current. */
(function () {
  "use strict";
  var ERAS = [["令和", 2019, 5, 1], ["平成", 1989, 1, 8], ["昭和", 1926, 12, 25], ["大正", 1912, 7, 30], ["明治", 1868, 1, 25]];
  var WEEK = "日月火水木金土";
  function wareki(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
    if (!m) { return ""; }
    var y = +m[1], mo = +m[2], d = +m[3];
    var date = new Date(Date.UTC(y, mo - 1, d));
    if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) { return ""; }
    var key = y * 10000 + mo * 100 + d;
    for (var i = 0; i < ERAS.length; i++) {
      var e = ERAS[i];
      if (key >= e[1] * 10000 + e[2] * 100 + e[3]) {
        var n = y - e[1] + 1;
        return e[0] + (n === 1 ? "元" : n) + "年" + mo + "月" + d + "日（" + WEEK.charAt(date.getUTCDay()) + "）";
      }
    }
    return "";
  }
  function update(input) {
    var box = document.getElementById(input.getAttribute("data-wareki"));
    var out = box && box.querySelector("[data-wareki-text]");
    if (!out) { return; }
    var text = wareki(input.value);
    out.textContent = text || out.getAttribute("data-empty");
    if (text) { out.setAttribute("lang", "ja"); } else { out.removeAttribute("lang"); }
  }
  var inputs = document.querySelectorAll("input[data-wareki]");
  for (var i = 0; i < inputs.length; i++) {
    inputs[i].addEventListener("input", function (ev) { update(ev.target); });
    inputs[i].addEventListener("change", function (ev) { update(ev.target); });
  }
})();
