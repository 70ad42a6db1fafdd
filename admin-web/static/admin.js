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
