// Suggestions as you type on the search page (ARIA 1.2 combobox with a listbox popup): the box
// asks GET /api/v1/search?suggest=1 (never counted as a search without result) a moment after
// typing stops; ↓/↑ move through the suggestions (aria-activedescendant), Enter opens the one
// chosen, Escape closes the list. Without JavaScript the form submits to /search as usual.
(function () {
  "use strict";
  var form = document.querySelector("form[data-search-api]");
  if (!form) {
    return;
  }
  var input = form.querySelector("#search-q");
  var list = form.querySelector("#search-suggestions");
  var status = form.querySelector("#search-status");
  var api = form.getAttribute("data-search-api");
  var lang = form.getAttribute("data-lang");
  // the homepage's search widget opens a page in the whole window, not in its small frame
  var target = form.getAttribute("data-target");
  var timer = null;
  var active = -1;
  var asked = 0;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  function options() {
    return list.querySelectorAll("[role=option]");
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(index) {
    var all = options();
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    active = index;
    if (index >= 0 && all[index]) {
      input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function go(url) {
    if (target === "_top") {
      window.open(url, "_top");
    } else {
      window.location.assign(url);
    }
  }

  function show(results) {
    list.textContent = "";
    results.forEach(function (r, i) {
      var option = document.createElement("li");
      option.id = "search-option-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.className = "search-suggestions__option";
      option.setAttribute("data-url", r.url);
      option.textContent = r.name;
      option.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the box
      });
      option.addEventListener("click", function () {
        go(r.url);
      });
      list.appendChild(option);
    });
    if (results.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = status.getAttribute("data-some").replace("{n}", String(results.length));
    } else {
      close();
      status.textContent = status.getAttribute("data-none");
    }
    active = -1;
  }

  function ask() {
    var q = input.value.trim();
    if (!q || q.length > 100) {
      close();
      status.textContent = "";
      return;
    }
    var mine = ++asked;
    var url = api + "?suggest=1&lang=" + encodeURIComponent(lang) + "&q=" + encodeURIComponent(q);
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (body) {
        if (mine === asked) { // an older answer arriving late changes nothing
          show(body.results || []);
        }
      })
      .catch(function () { close(); });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 150);
  });
  input.addEventListener("keydown", function (event) {
    var count = options().length;
    if (event.key === "ArrowDown" && count) {
      event.preventDefault();
      if (list.hidden) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      choose((active + 1) % count);
    } else if (event.key === "ArrowUp" && count) {
      event.preventDefault();
      choose(active <= 0 ? count - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
      event.preventDefault();
      go(options()[active].getAttribute("data-url"));
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", function () {
    // after a click on a suggestion has been handled; not when the box has the focus again
    window.setTimeout(function () {
      if (document.activeElement !== input) {
        close();
      }
    }, 100);
  });
}());
