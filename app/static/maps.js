// Marks the page as scripted for GOV.UK Frontend, then starts its components.
// Kept in a file, not inline, so the Content-Security-Policy can forbid inline script.
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}

// htmx requests send the page's CSRF token as a header (forms post it as a hidden field).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.content;
  }
});

// Copy and print buttons: hidden without JavaScript, where the link stays selectable text
// and the page says to use the browser's own Print.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-copy-target], [data-print]").forEach(function (button) {
    button.hidden = false;
  });
});
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy-target]");
  if (!button) {
    return;
  }
  var field = document.getElementById(button.dataset.copyTarget);
  var status = document.getElementById(button.dataset.copyTarget + "-status");
  var copied = button.dataset.copied || "Link copied";
  function done(message) {
    if (status) {
      status.textContent = message;
    }
  }
  function fallback() {
    field.select();
    done(document.execCommand("copy") ? copied : "Select the text and copy it");
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(function () { done(copied); }, fallback);
  } else {
    fallback();
  }
});

// A comment is saved when its box is left, and the status then says so; while it is being
// typed, the status must not still say "Saved" from before.
document.addEventListener("input", function (event) {
  if (!event.target.matches(".maps-comment textarea")) {
    return;
  }
  var status = document.getElementById("autosave-status");
  var message = "Not saved yet: your comment is saved when you leave the box.";
  if (status && status.textContent !== message) {
    status.textContent = message;
  }
});

// --- An answer is never silently unsaved -------------------------------------------------
// Each question (a .maps-question form group) posts its answer when chosen. When the network
// or the server fails (no answer, or a 5xx, which htmx is told not to swap in: _layout.html),
// the status says so in plain words and the save is tried again, waiting 2, 4, 8, 16, then
// 30 seconds, and at once when the browser is back online; the retry posts what the question
// holds then. While any answer is unsaved or on its way, or a comment is typed but not yet
// sent, leaving the page asks first (the page's own form saves everything, so it does not).
(function () {
  var NOT_SAVED = "Not saved – check your connection. MAPS will keep trying while this page is open.";
  var pending = new Map(); // question -> {tries, timer}: not yet confirmed by the server
  var typed = new Set(); // questions whose comment box changed since it was last sent
  var leavingByForm = false;

  function isQuestion(element) {
    return element && element.matches && element.matches(".maps-question[hx-post]");
  }

  function say(message) {
    var status = document.getElementById("autosave-status");
    if (status) {
      status.textContent = message;
    }
  }

  function retry(question) {
    var state = pending.get(question);
    if (state) {
      window.clearTimeout(state.timer);
      htmx.trigger(question, "change");
    }
  }

  document.addEventListener("input", function (event) {
    var question = event.target.closest(".maps-question");
    if (question && event.target.matches("textarea")) {
      typed.add(question);
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var question = event.detail.elt;
    if (isQuestion(question)) {
      typed.delete(question);
      if (!pending.has(question)) {
        pending.set(question, { tries: 0, timer: null });
      }
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var question = event.detail.elt;
    var xhr = event.detail.xhr;
    var failed = !xhr || xhr.status === 0 || xhr.status >= 500;
    if (!isQuestion(question)) {
      if (failed) {
        document.dispatchEvent(new CustomEvent("maps:announce", { detail: {
          value: "MAPS could not finish that – check your connection and try again." } }));
      }
      return;
    }
    var state = pending.get(question);
    if (!failed) { // stored, or refused with the reason swapped into the status (4xx)
      if (state) {
        window.clearTimeout(state.timer);
      }
      pending.delete(question);
      return;
    }
    say(NOT_SAVED);
    state = state || { tries: 0, timer: null };
    pending.set(question, state);
    state.tries += 1;
    state.timer = window.setTimeout(function () { retry(question); },
                                    Math.min(30, Math.pow(2, state.tries)) * 1000);
  });

  window.addEventListener("online", function () {
    pending.forEach(function (state, question) { retry(question); });
  });
  document.addEventListener("submit", function () { leavingByForm = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!leavingByForm && (pending.size || typed.size)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();

// --- What follows every htmx swap: one contract for the whole app (docs/frontend.md) ------
// 1. Announcements go to #maps-announcer, a live region that exists before any swap (a
//    region inserted by the swap itself is often not read out). The server asks for one with
//    an element carrying data-announce="text" in the swapped content, or with the response
//    header `HX-Trigger: {"maps:announce": "text"}`.
// 2. Focus: an error summary in the swapped content is focused (its links then move to their
//    fields, as on a full-page submit); otherwise an element marked data-focus is focused;
//    otherwise, when the swap took away the focused control, the control with the same id in
//    the new content gets it back. `HX-Trigger: {"maps:focus": "#selector"}` names a
//    neighbour to focus, for swaps that remove what had focus.
(function () {
  var lostFocusId = null;

  function announce(message) {
    var region = document.getElementById("maps-announcer");
    if (!region || !message) {
      return;
    }
    // Emptied first, so the same words said twice are read out twice.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = message; }, 50);
  }

  function focus(element) {
    if (!element) {
      return false;
    }
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
    return document.activeElement === element;
  }

  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    lostFocusId = active && active !== document.body ? active.id || null : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var scope = event.detail.elt && event.detail.elt.isConnected ? event.detail.elt : document;
    var marked = scope.querySelector("[data-announce]");
    if (marked) {
      announce(marked.dataset.announce || marked.textContent.trim());
    }
    var summary = scope.querySelector(".govuk-error-summary");
    if (summary) {
      document.dispatchEvent(new CustomEvent("maps:init", { detail: { scope: summary.parentNode } }));
      focus(summary);
      return;
    }
    if (focus(scope.querySelector("[data-focus]"))) {
      return;
    }
    var active = document.activeElement;
    if (lostFocusId && (!active || active === document.body)) {
      focus(document.getElementById(lostFocusId));
    }
  });

  document.addEventListener("maps:announce", function (event) {
    announce(event.detail && event.detail.value);
  });
  document.addEventListener("maps:focus", function (event) {
    focus(document.querySelector(event.detail && event.detail.value));
  });
})();

// A report's progress page (results/report_job.html): when the poll brings the ready report,
// its download starts, as the link it marks would on a click (docs/frontend.md).
document.addEventListener("htmx:afterSettle", function (event) {
  var scope = event.detail.elt && event.detail.elt.isConnected ? event.detail.elt : document;
  var link = scope.querySelector("a[data-download-now]");
  if (link) {
    link.removeAttribute("data-download-now");
    link.click();
  }
});
