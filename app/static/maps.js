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

// Copy buttons for invite and password links: hidden without JavaScript, where the link
// stays selectable text.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false;
  });
});
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy-target]");
  if (!button) {
    return;
  }
  var field = document.getElementById(button.dataset.copyTarget);
  var status = document.getElementById(button.dataset.copyTarget + "-status");
  function done(message) {
    if (status) {
      status.textContent = message;
    }
  }
  function fallback() {
    field.select();
    done(document.execCommand("copy") ? "Link copied" : "Select the link and copy it");
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(function () { done("Link copied"); }, fallback);
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
