// 「住所を検索」 in place: asks /api/v1/postcodes/<7 digits> and fills only the empty boxes
// (never what the resident typed). Without JavaScript the same button re-renders the page.
(function () {
  "use strict";
  function digits(text) {
    return (text || "").normalize("NFKC").replace(/[^0-9]/g, "");
  }
  document.querySelectorAll("[data-postcode-for]").forEach(function (button) {
    var name = button.getAttribute("data-postcode-for");
    var status = document.querySelector('[data-postcode-status="' + name + '"]');
    var box = function (part) { return document.getElementById(name + "-" + part); };
    button.addEventListener("click", function (event) {
      var code = digits(box("postal_code").value);
      if (code.length !== 7) {
        return; // the server says what is wrong, next to the box
      }
      event.preventDefault();
      fetch("/api/v1/postcodes/" + code, { headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (found) {
          if (!found) {
            status.textContent = status.getAttribute("data-none");
            return;
          }
          [["prefecture", found.prefecture], ["city", found.city], ["street", found.town]].forEach(function (pair) {
            var input = box(pair[0]);
            if (input && pair[1] && !input.value.trim()) {
              input.value = pair[1];
            }
          });
          status.textContent = status.getAttribute("data-found");
          var street = box("street");
          if (street) { street.focus(); }
        })
        .catch(function () { button.form.requestSubmit(button); });
    });
  });
})();
