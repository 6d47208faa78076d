// Comparison page: the print button (the page prints without it too: the browser's own print).
(function () {
  "use strict";
  var b = document.getElementById("print");
  if (b) b.addEventListener("click", function () { window.print(); });
})();
