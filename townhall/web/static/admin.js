/* Townhall moderation dashboard: keyboard shortcuts, bulk selection, and actions sent after an Undo window.
   No inline scripts (CSP script-src 'self'); everything is wired here by event delegation. */
(function () {
  "use strict";
  var UNDO_MS = Number(window.sessionStorage.getItem("th-undo-ms")) || 5000;
  var POLL_MS = Number(window.sessionStorage.getItem("th-poll-ms")) || 15000;
  var pending = [];
  var arrived = 0;

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function items() { return Array.prototype.slice.call(document.querySelectorAll(".queue .item:not([hidden])")); }
  function selected() { return document.querySelector(".item.selected:not([hidden])"); }

  function select(el) {
    var old = selected();
    if (old) old.classList.remove("selected");
    if (!el) return;
    el.classList.add("selected");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
  }
  function move(step) {
    var list = items();
    if (!list.length) return;
    var i = list.indexOf(selected());
    select(list[Math.max(0, Math.min(list.length - 1, i < 0 ? 0 : i + step))]);
  }

  function toast(text, undo) {
    var box = document.getElementById("toasts");
    var t = document.createElement("div");
    t.className = "toast";
    t.setAttribute("role", "status");
    var span = document.createElement("span");
    span.textContent = text;
    t.appendChild(span);
    if (undo) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "undo";
      b.textContent = "Undo";
      b.addEventListener("click", function () { undo(); t.remove(); });
      t.appendChild(b);
    }
    box.appendChild(t);
    setTimeout(function () { t.remove(); }, undo ? UNDO_MS + 300 : 6000);
    return t;
  }

  // Sends a job; resolves to whether it was done. ``leaving``: the page is about to go (signing out), so the
  // answer changes nothing on it.
  function send(job, leaving) {
    var idx = pending.indexOf(job);
    if (idx >= 0) pending.splice(idx, 1);
    return fetch(job.url, {
      method: "POST", body: job.body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), "X-Requested-With": "fetch" }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          job.restore();
          toast((data.error && data.error.message) || ("Failed (" + r.status + ")"));
          return false;
        }
        if (!leaving) job.finish(data);
        return true;
      });
    }, function () { job.restore(); toast("Network error; nothing was changed."); return false; });
  }

  // An action removes its item from the queue unless it only adds to it (a note) or changes the page
  // (a sanction without rejecting the comment, a cluster decision): those reload the page when done.
  function removesItem(form) {
    var also = form.querySelector("input[name=also_reject]");
    if (also) return also.checked;
    return !form.dataset.keep && !form.dataset.reload;
  }

  // Where focus goes when the items acted on are hidden: the next item (else the one before), or the
  // current tab when the queue is empty; never <body>.
  function settle(targets) {
    var all = Array.prototype.slice.call(document.querySelectorAll(".queue .item"));
    var keep = function (el) { return targets.indexOf(el) < 0 && !el.hidden; };
    var first = all.indexOf(targets[0]);
    var last = all.indexOf(targets[targets.length - 1]);
    var next = all.slice(last + 1).find(keep) || all.slice(0, Math.max(0, first)).reverse().find(keep) || null;
    if (next) { select(next); return; }
    select(null);
    var fallback = document.querySelector(".tabs a.current") || document.querySelector("main h1");
    if (fallback) {
      if (!fallback.matches("a[href]")) fallback.setAttribute("tabindex", "-1");
      fallback.focus({ preventScroll: true });
    }
  }

  // A bulk answer says, per comment, which were decided: only those leave the page (and the count); the
  // others come back, marked with why (another moderator decided them meanwhile, or the author deleted one).
  function finishBulk(targets, data) {
    var decided = (data.done || []).map(String);
    var failed = data.failed || {};
    var gone = 0;
    targets.forEach(function (el) {
      var id = el.getAttribute("data-id");
      if (decided.indexOf(id) >= 0) { el.remove(); gone += 1; return; }
      el.hidden = false;
      el.classList.add("failed");
      var box = el.querySelector(".pick");
      if (box) box.checked = false;
      var note = el.querySelector(".item-error");
      if (!note) {
        note = document.createElement("p");
        note.className = "item-error error";
        note.setAttribute("role", "alert");
        el.insertBefore(note, el.querySelector(".actions"));
      }
      note.textContent = "Not changed: " + (failed[id] || "refused") + " Reload the page to see it as it is now.";
    });
    var left = targets.length - gone;
    if (left) toast(gone + " done; " + left + " not changed (marked in the list).");
    return gone;
  }

  function schedule(form, submitter) {
    var body = new FormData(form, submitter || undefined);
    var targets = [];
    var bulk = form.classList.contains("bulk");
    if (bulk) {
      document.querySelectorAll(".item:not([hidden]) .pick:checked").forEach(function (box) {
        var it = box.closest(".item");
        body.append("ids", box.value);
        body.append("expect_status", it.getAttribute("data-status") || "");
        targets.push(it);
      });
      if (!targets.length) { toast("Select comments first (x)."); return; }
    } else if (removesItem(form)) {
      var item = form.closest(".item");
      if (item) targets.push(item);
    }
    var active = document.activeElement;
    var lost = targets.some(function (el) { return el.contains(active); });
    var moved = targets.length && (targets.indexOf(selected()) >= 0 || lost || !selected());
    targets.forEach(function (el) { el.hidden = true; });
    if (moved) settle(targets);
    var job = {
      url: form.action, body: body,
      restore: function () { targets.forEach(function (el) { el.hidden = false; }); },
      finish: function (data) {
        var gone = targets.length;
        if (bulk) gone = finishBulk(targets, data);
        else targets.forEach(function (el) { el.remove(); });
        var count = document.querySelector(".tabs a.current .count");
        if (count && gone) count.textContent = String(Math.max(0, Number(count.textContent) - gone));
        // a note added from a queue item changes nothing the queue shows: no reload (it lost what was typed
        // elsewhere on the page, and the pages loaded with Load more); the account page reloads to list it
        if (form.dataset.keep && form.closest(".queue")) { form.reset(); toast(data.notice || "Note added."); return; }
        if (data.notice) toast(data.notice);
        if (!bulk && !removesItem(form)) { window.location.reload(); return; }
        updateBulk();
        pollSizes(true);  // the other tabs' counts (a rejected comment joins "rejected") now, not at the next poll
      }
    };
    var label = form.dataset.undo || "Done";
    if (submitter && submitter.value && submitter.name === "outcome") label += " (" + submitter.value + ")";
    job.timer = setTimeout(function () { send(job); }, UNDO_MS);
    pending.push(job);
    job.undo = function () {
      clearTimeout(job.timer);
      var i = pending.indexOf(job);
      if (i >= 0) pending.splice(i, 1);
      job.restore();
      select(targets[0] || null);
    };
    job.toast = toast(label + " — sending in " + Math.round(UNDO_MS / 1000) + " s", job.undo);
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    // Signing out ends the session, before the page's pagehide beacons could use it: what still waits in its
    // Undo window is sent first, and the sign-out goes once it was done (a refusal stays on the page, told).
    if (form instanceof HTMLFormElement && form.getAttribute("action") === "/admin/logout" && pending.length) {
      ev.preventDefault();
      var jobs = pending.slice();
      jobs.forEach(function (job) { clearTimeout(job.timer); });
      Promise.all(jobs.map(function (job) { return send(job, true); })).then(function (done) {
        if (done.every(Boolean)) form.submit();
      });
      return;
    }
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("act")) return;
    ev.preventDefault();
    if (form.classList.contains("bulk")) {  // a reject needs its reason before it goes, as one comment's does
      form.querySelector("input[name=reason]").required = form.querySelector("select[name=decision]").value === "reject";
    }
    if (!form.reportValidity()) return;
    schedule(form, ev.submitter);
  });

  // Leaving the page sends what is still waiting (its Undo window is over).
  window.addEventListener("pagehide", function () {
    pending.slice().forEach(function (job) {
      clearTimeout(job.timer);
      job.body.set("csrf_token", csrf());
      navigator.sendBeacon(job.url, job.body);
    });
    pending = [];
  });

  function updateBulk() {
    var bar = document.querySelector("form.bulk");
    if (!bar) return;
    var n = document.querySelectorAll(".item:not([hidden]) .pick:checked").length;
    bar.hidden = n === 0;
    bar.querySelector(".bulk-count").textContent = n + " selected";
  }
  document.addEventListener("change", function (ev) {
    if (ev.target.classList && ev.target.classList.contains("pick")) updateBulk();
  });

  // The shortcuts dialog takes the focus when it opens (its Close button, so Tab and Enter act in it rather than
  // on the queue behind it) and gives it back to where it was when it closes.
  var helpReturn = null;
  function toggleHelp(force) {
    var help = document.getElementById("help");
    if (!help) return;
    var open = force === undefined ? help.hidden : force;
    if (open === !help.hidden) return;
    help.hidden = !open;
    if (open) {
      helpReturn = document.activeElement;
      var close = help.querySelector(".close-help");
      if (close) close.focus();
      return;
    }
    var back = helpReturn;
    helpReturn = null;
    if (back && back.isConnected && back !== document.body && !back.closest("[hidden]")) back.focus({ preventScroll: true });
    else if (selected()) selected().focus({ preventScroll: true });
  }
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.closest && t.closest(".help-button")) toggleHelp(true);
    if (t.closest && (t.closest(".close-help") || t.id === "help")) toggleHelp(false);
    var item = t.closest && t.closest(".queue .item");
    if (item && !t.closest("form, a, summary, input")) select(item);
  });

  function submitIn(item, selector) {
    var form = item && item.querySelector(selector);
    if (!form) return false;
    if (form.requestSubmit) form.requestSubmit(); else form.dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
    return true;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (ev.key === "Escape") {
      toggleHelp(false);
      if (typing) { t.blur(); var it = t.closest(".item"); if (it) select(it); }
      return;
    }
    if (typing) return;
    var help = document.getElementById("help");
    if (help && !help.hidden && ev.key === "Tab") {  // a modal dialog: the keyboard stays in it (Close is its one control)
      ev.preventDefault();
      var close = help.querySelector(".close-help");
      if (close) close.focus();
      return;
    }
    if (help && !help.hidden && ev.key !== "?") return;  // no queue shortcut acts behind the open dialog
    var item = selected();
    switch (ev.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "?": toggleHelp(); break;
      case "u": {  // Undo from the keyboard: the toast's button is the page's last stop, out of reach in the window
        var last = pending[pending.length - 1];
        if (!last) return;
        last.undo();
        last.toast.remove();
        break;
      }
      case "a": if (!item) { move(1); item = selected(); } submitIn(item, "form.approve"); break;
      case "r": {
        if (!item) return;
        var reason = item.querySelector("form.reject input[name=reason]");
        if (reason) reason.focus();
        break;
      }
      case "b": {
        if (!item) return;
        var more = item.querySelector("details.more");
        if (!more) return;
        more.open = true;
        more.querySelector("select[name=sanction]").value = "ban";
        more.querySelector("form.sanction input[name=reason]").focus();
        break;
      }
      case "x": {
        var box = item && item.querySelector(".pick");
        if (box) { box.checked = !box.checked; updateBulk(); }
        break;
      }
      case "o": {
        var link = item && item.querySelector(".glance a.author");
        if (link) window.location.href = link.href;
        break;
      }
      default: return;
    }
    ev.preventDefault();
  });

  // New arrivals: the queue page asks for every queue's size every few seconds (while the tab is visible),
  // updates the counts, and offers to show what arrived in the open queue rather than moving items under
  // the moderator's cursor. After a decision it asks at once for the other queues' sizes (the open queue's
  // count was lowered by the items decided).
  function showArrivals(section) {
    var note = section.querySelector(".new-items");
    if (!note) {
      note = document.createElement("p");
      note.className = "new-items";
      note.setAttribute("role", "status");
      var link = document.createElement("a");
      link.href = window.location.pathname + window.location.search;
      note.appendChild(link);
      section.insertBefore(note, section.firstChild);
    }
    note.firstChild.textContent = arrived + (arrived === 1 ? " new item" : " new items") + " in this queue: show";
  }
  function pollSizes(othersOnly) {
    var section = document.querySelector("section.queue");
    if (!section || document.hidden) return;
    // the page's site and article filter (?thread=): a queue of one article counts that article's items
    var shown = new URLSearchParams(window.location.search), ask = new URLSearchParams();
    ["site", "thread"].forEach(function (key) { if (shown.get(key)) ask.set(key, shown.get(key)); });
    var newest = section.getAttribute("data-newest");  // the held queue: arrivals counted by id, not by size
    if (newest !== null) ask.set("held_after", newest);
    fetch("/admin/queue-sizes" + (ask.toString() ? "?" + ask.toString() : ""),
          { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        var json = (r.headers.get("content-type") || "").indexOf("application/json") === 0;
        return r.ok && json ? r.json() : null;
      })
      .then(function (sizes) {
        if (!sizes) return;
        var open = section.getAttribute("data-queue");
        Array.prototype.forEach.call(document.querySelectorAll(".tabs .count[data-queue]"), function (el) {
          var q = el.getAttribute("data-queue");
          if (typeof sizes[q] !== "number" || (othersOnly === true && q === open)) return;
          if (q === open && typeof sizes[q + "_new"] === "number") {
            if (sizes[q + "_new"] > 0 && sizes[q + "_new"] !== arrived) { arrived = sizes[q + "_new"]; showArrivals(section); }
          } else if (q === open && sizes[q] > Number(el.textContent)) {
            arrived += sizes[q] - Number(el.textContent);
            showArrivals(section);
          }
          el.textContent = String(sizes[q]);
        });
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  // The message of a refused htmx request: the error envelope's (JSON) or the error fragment's text.
  function refusal(xhr) {
    var text = xhr.responseText || "";
    try {
      var data = JSON.parse(text);
      if (data && data.error && data.error.message) return data.error.message;
    } catch (e) { /* an HTML fragment */ }
    var tpl = document.createElement("template");  // inert: nothing in it loads or runs
    tpl.innerHTML = text;
    return (tpl.content.textContent || "").trim() || "Failed (" + xhr.status + ")";
  }

  // A Feature / Unfeature button (form.feature) and an article's Close / Open button (form.thread-state) swap in
  // their new state; a refusal (the comment no longer published: 409, an expired form: 403, an unreadable one:
  // 422, the site no longer the moderator's: 403) leaves the button as it is, with the focus, and is told as the
  // dashboard tells other refused actions: a toast with the server's message. The article form (form.article-meta)
  // shows a refused field beside it (its 422 panel is swapped in, below); its other refusals are toasts too.
  // The announcement's Clear button is told the same way; the try-it box (like form.article-meta) shows its 422.
  var TOLD = "form.feature, form.thread-state, form.announcement-clear";
  var FIELDS = "form.article-meta, form#tryit";
  function toldAsToast(d) {
    var from = (d.requestConfig && d.requestConfig.elt) || d.elt;  // the event itself fires on the target
    var elt = from && from.closest ? from.closest("form") : null;
    if ((d.target && d.target.matches && d.target.matches("form.feature")) || (elt && elt.matches(TOLD))) return true;
    return !!(elt && elt.matches(FIELDS) && d.xhr.status !== 422);
  }
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var d = ev.detail, xhr = d && d.xhr;
    if (!xhr || xhr.status < 400 || !toldAsToast(d)) return;
    d.shouldSwap = false;
    d.isError = false;
    d.refusalShown = true;
    toast(refusal(xhr));
  });
  document.addEventListener("htmx:sendError", function (ev) {
    var elt = ev.detail && ev.detail.elt;
    if (elt && elt.closest && elt.closest(TOLD + ", " + FIELDS)) toast("Network error; nothing was changed.");
  });

  // htmx leaves 4xx answers unswapped; the dashboard's 422 answers are error fragments meant to be shown
  // (the try-it box with whitespace only, for one).
  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (ev.detail && ev.detail.refusalShown) return;  // a Feature button's, told above
    if (ev.detail && ev.detail.xhr && ev.detail.xhr.status === 422) {
      ev.detail.shouldSwap = true;
      ev.detail.isError = false;
    }
  });

  // Swaps that take away the focused control leave the keyboard where it was, not on <body>: "Load more" (replaced by
  // the items it loaded) gives it to the first of them; "Clear the announcement" (gone with it) to the announcement box.
  var loadedAfter = null;
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var elt = ev.detail && ev.detail.elt;
    if (elt && elt.classList && elt.classList.contains("load-more") && ev.detail.shouldSwap) loadedAfter = elt.previousElementSibling;
  });
  document.addEventListener("htmx:afterSwap", function (ev) {
    var t = ev.target;
    if (loadedAfter && t.classList && t.classList.contains("item")) {
      var first = loadedAfter.nextElementSibling;
      loadedAfter = null;
      if (first && first.classList.contains("item")) select(first);
    }
    if (t.id === "announcement-panel" && (document.activeElement === document.body || !document.activeElement)) {
      var box = t.querySelector("#announcement-text");
      if (box) box.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var list = items();
    if (list.length) select(list[0]);
    if (document.querySelector("section.queue")) window.setInterval(pollSizes, POLL_MS);
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) pollSizes();  // a tab shown again: its counts at once (hidden tabs do not poll)
  });
})();
