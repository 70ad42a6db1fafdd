// opsadmin: small keyboard conveniences. Every screen works the same without this
// file (it is loaded with `defer`, and the CSP allows only same-origin scripts).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // "/" focuses the page's own search box (a list's), else the global search,
  // unless the person is typing somewhere already.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var box = document.querySelector("main input[type=search]") || document.querySelector("input[type=search]");
    if (!box) return;
    e.preventDefault();
    box.focus();
    box.select();
  });
})();

// Layout (issue 15): on a phone the list's filters start closed, so the rows
// come first and the "Filter" button opens them. Without this file they stay
// open, below the rows (see admin.css, "Layout: the list's filters").
// A window that narrows to a phone's width closes them; one that widens opens them.
(function () {
  "use strict";
  if (!window.matchMedia) return;
  var phone = window.matchMedia("(max-width: 800px)");
  function fit(narrow) {
    var panels = document.querySelectorAll("details.filter-panel");
    for (var i = 0; i < panels.length; i++) panels[i].open = !narrow;
  }
  if (phone.matches) fit(true);
  if (phone.addEventListener) phone.addEventListener("change", function (e) { fit(e.matches); });
})();
