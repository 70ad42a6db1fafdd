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

// ---- Foreign keys chosen by name (ARIA combobox) -----------------------------
// A foreign key's id input (`data-for`) stays the value the form sends; this turns
// it into a hidden input beside a text box with role=combobox that asks the
// server for matching records (`data-autocomplete`: {"results": [{id, text,
// detail}], "more"}) and lists them in a listbox. Up and down move, Enter picks,
// Escape closes. Without this script the id input and the "Find" link (the pick
// page) do the same.
(function () {
  "use strict";
  var n = 0;
  Array.prototype.forEach.call(document.querySelectorAll("[data-autocomplete]"), function (box) {
    var idInput = document.getElementById(box.getAttribute("data-for"));
    if (!idInput || idInput.type === "hidden") return;
    n += 1;
    var url = box.getAttribute("data-autocomplete");
    var id = idInput.id;
    var listId = id + "_listbox";
    var status = document.createElement("span");
    status.className = "sr fk-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    // The text box takes the id input's place (and its label's `for`).
    var text = document.createElement("input");
    text.type = "text";
    text.id = id;
    text.className = "fk-combobox";
    text.autocomplete = "off";
    text.setAttribute("role", "combobox");
    text.setAttribute("aria-autocomplete", "list");
    text.setAttribute("aria-expanded", "false");
    text.setAttribute("aria-controls", listId);
    if (idInput.required) text.required = true;
    var described = idInput.getAttribute("aria-describedby");
    if (described) text.setAttribute("aria-describedby", described);
    if (box.getAttribute("data-label")) text.setAttribute("aria-label", box.getAttribute("data-label"));
    text.value = box.getAttribute("data-title") || idInput.value;
    idInput.id = id + "_value";
    idInput.type = "hidden";
    idInput.parentNode.insertBefore(text, idInput);

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "fk-listbox";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    text.parentNode.insertBefore(list, idInput.nextSibling);
    list.parentNode.insertBefore(status, list.nextSibling);
    var chosenLine = box.querySelector("[data-fk-title]");
    if (chosenLine) chosenLine.hidden = true;

    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    var picked = text.value;
    var pickedId = idInput.value;

    function close() {
      // An answer still on its way must not open the list again.
      clearTimeout(timer);
      asked += 1;
      list.hidden = true;
      text.setAttribute("aria-expanded", "false");
      text.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      options.forEach(function (o, k) { o.el.setAttribute("aria-selected", k === i ? "true" : "false"); });
      active = i;
      if (i >= 0) {
        text.setAttribute("aria-activedescendant", options[i].el.id);
        options[i].el.scrollIntoView({ block: "nearest" });
      } else {
        text.removeAttribute("aria-activedescendant");
      }
    }

    function pick(i) {
      var o = options[i];
      if (!o) return;
      idInput.value = o.id;
      text.value = o.text;
      picked = o.text;
      pickedId = o.id;
      close();
      status.textContent = o.text;
      if (box.getAttribute("data-submit") && idInput.form) idInput.form.submit();
    }

    function show(answer) {
      list.textContent = "";
      options = (answer.results || []).map(function (r, k) {
        var li = document.createElement("li");
        li.id = listId + "_" + k;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.className = "fk-option";
        var strong = document.createElement("strong");
        strong.textContent = r.text;
        li.appendChild(strong);
        if (r.detail) {
          var small = document.createElement("span");
          small.className = "muted";
          small.textContent = " " + r.detail;
          li.appendChild(small);
        }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(k); });
        return { id: r.id, text: r.text, el: li };
      });
      options.forEach(function (o) { list.appendChild(o.el); });
      var note = answer.message || (options.length ? (answer.more ? box.getAttribute("data-more") : "")
        : box.getAttribute("data-none"));
      if (note) {
        var li = document.createElement("li");
        li.className = "fk-note muted";
        li.setAttribute("aria-hidden", "true");
        li.textContent = note;
        list.appendChild(li);
      }
      status.textContent = note || String(options.length);
      list.hidden = false;
      text.setAttribute("aria-expanded", "true");
      highlight(-1);
    }

    function ask() {
      var mine = ++asked;
      fetch(url + "?q=" + encodeURIComponent(text.value), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (r) {
        return r.json();
      }).then(function (answer) {
        if (mine === asked && document.activeElement === text) show(answer);
      }).catch(function () {
        if (mine === asked) show({ results: [], message: box.getAttribute("data-failed") });
      });
    }

    text.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    text.addEventListener("focus", function () { if (list.hidden) ask(); });
    // Leaving the box: typed digits are an id (as without this script), an empty
    // box clears the key, and a name that was not picked goes back to the pick.
    function settle() {
      var v = text.value.trim();
      if (v === "" || /^[0-9]+$/.test(v)) {
        idInput.value = v;
        picked = text.value;
        pickedId = v;
      } else if (text.value !== picked) {
        text.value = picked;
        idInput.value = pickedId;
      }
    }
    text.addEventListener("blur", function () { close(); settle(); });
    if (idInput.form) idInput.form.addEventListener("submit", settle);
    text.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (list.hidden) { ask(); return; }
        if (options.length) highlight(active < options.length - 1 ? active + 1 : 0);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        if (options.length) highlight(active > 0 ? active - 1 : options.length - 1);
      } else if (e.key === "Enter") {
        if (!list.hidden && active >= 0) {
          e.preventDefault();
          pick(active);
        }
      } else if (e.key === "Escape") {
        if (!list.hidden) {
          e.preventDefault();
          close();
        } else if (text.value !== picked) {
          text.value = picked;
        }
      }
    });
  });
})();

// ---- A background job's page -------------------------------------------------
// Without this script the page reloads itself every five seconds (a meta refresh
// in <noscript>, while it is queued or running); with it, the progress and counts
// are fetched every two seconds, and the page reloads when the job's state changes,
// to show the forms that fit it, unless something is being typed in one of them.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-progress]");
  if (!box) return;
  var url = box.getAttribute("data-job-progress");
  var field = function (name) { return box.querySelector("[data-job=" + name + "]"); };
  var state = field("state_label") ? field("state_label").textContent : "";
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        // Signed out, or the job is gone: stop asking; the reload link stays.
        return r.ok && json ? r.json() : null;
      })
      .then(function (j) {
        if (!j) return;
        var bar = field("percent");
        if (bar) { bar.value = j.percent; bar.textContent = j.percent + "%"; }
        ["done", "skipped", "failed"].forEach(function (k) { var el = field(k); if (el) el.textContent = j[k]; });
        // An import being checked: "N of M" rows, the first number replaced.
        var checked = field("checked");
        if (checked) checked.textContent = checked.textContent.replace(/^[\d.,\s\u00a0\u202f]+/, j.checked + " ");
        var pct = field("percent_text");
        if (pct && bar) pct.textContent = pct.textContent.replace(/\d+/, String(j.percent));
        var rate = field("rate");
        if (rate) rate.textContent = j.rate || "\u2014";
        var left = field("left");
        if (left) left.textContent = j.left || "\u2014";
        if (j.finished || j.state_label.trim() !== state.trim()) {
          var typing = Array.prototype.some.call(document.querySelectorAll("main textarea"),
            function (t) { return t.value !== t.defaultValue; });
          if (!typing) { window.location.reload(); return; }
          var label = field("state_label");
          if (label) label.textContent = j.state_label;
          state = j.state_label;
        }
        window.setTimeout(tick, 2000);
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 2000);
})();
