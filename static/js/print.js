// Shows the print button only where JavaScript runs (without it, the browser's own print works).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
