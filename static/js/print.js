// A Print button (marked data-print, hidden until this script shows it: without JavaScript the browser's own
// menu prints). The page's print style leaves out everything but the ticket or the poster.
(function () {
  "use strict";
  if (typeof window.print !== "function") return;
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
