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

// ---- The list's selection ---------------------------------------------------
// The selection lives on the server; without this script the tray's "Update
// selection" button saves the page's checkboxes. With it, a click saves at once,
// the header box ticks or clears the whole page, and "run on all N matching" is
// unticked whenever the selection changes or the page comes back from history.
(function () {
  "use strict";
  var form = document.getElementById("action-form");
  if (!form || !form.getAttribute("data-selection-url")) return;
  var url = form.getAttribute("data-selection-url");
  var boxes = Array.prototype.slice.call(
    document.querySelectorAll("input[type=checkbox][name=ids][form=action-form]"));
  var pageBox = document.querySelector("input.select-page[form=action-form]");
  var allMatching = form.querySelector("input[name=select_all]");
  var count = form.querySelector("[data-selection-count]");
  var hint = form.querySelector("[data-selection-hint]");
  var clear = form.querySelector("button.selection-clear");
  var update = form.querySelector("button.selection-update");
  if (update) update.hidden = true;
  var queue = Promise.resolve();

  function untickAllMatching() {
    if (allMatching) allMatching.checked = false;
  }

  function syncPageBox() {
    if (!pageBox) return;
    var on = boxes.filter(function (b) { return b.checked; }).length;
    pageBox.checked = on > 0 && on === boxes.length;
    pageBox.indeterminate = on > 0 && on < boxes.length;
    // The page's boxes are saved as they are now: the form's submit must not
    // read the header box's change again.
    var was = form.querySelector("input[name=page_all_was]");
    if (was) was.value = pageBox.checked ? "1" : "0";
  }

  function show(answer) {
    var n = answer.count || 0;
    if (count) {
      count.setAttribute("data-selection-count", String(n));
      count.textContent = n ? answer.phrase + " selected" : "Nothing selected";
    }
    if (clear) clear.hidden = n === 0;
    if (hint) {
      hint.textContent = answer.error
        ? answer.error
        : n ? "(kept while you page, search and filter)" : "(tick rows on any page; the selection is kept)";
    }
  }

  // Saves the state of `changed` boxes; on a refusal they go back as they were.
  function save(changed) {
    var body = new URLSearchParams();
    body.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    body.append("op", "update");
    changed.forEach(function (b) {
      body.append("page_ids", b.value);
      if (b.checked) body.append("ids", b.value);
    });
    untickAllMatching();
    queue = queue.then(function () {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        body: body
      }).then(function (r) {
        return r.json().then(function (answer) {
          if (!r.ok) {
            changed.forEach(function (b) { b.checked = !b.checked; });
            syncPageBox();
          }
          show(answer);
        });
      }).catch(function () {
        // No answer: the form's own submit still works, so show its button.
        if (update) update.hidden = false;
      });
    });
  }

  boxes.forEach(function (b) {
    b.addEventListener("change", function () {
      syncPageBox();
      save([b]);
    });
  });
  if (pageBox) {
    pageBox.addEventListener("change", function () {
      var changed = boxes.filter(function (b) { return b.checked !== pageBox.checked; });
      changed.forEach(function (b) { b.checked = pageBox.checked; });
      syncPageBox();
      if (changed.length) save(changed);
    });
    syncPageBox();
  }
  // Coming back with Back: never a stale "all matching", and a page restored from
  // the browser's memory is loaded again so its boxes show the stored selection.
  window.addEventListener("pageshow", function (e) {
    untickAllMatching();
    if (e.persisted) window.location.reload();
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
