import { initAll } from "./vendor/govuk/govuk-frontend.min.js";
initAll();
// Components inserted later by htmx (an error summary, say) are started here: maps.js asks.
document.addEventListener("maps:init", function (event) {
  initAll({ scope: event.detail.scope });
});
