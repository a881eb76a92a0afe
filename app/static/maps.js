// Marks the page as scripted for GOV.UK Frontend, then starts its components.
// Kept in a file, not inline, so the Content-Security-Policy can forbid inline script.
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
