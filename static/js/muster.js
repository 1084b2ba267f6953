// Starts GOV.UK Frontend's components (skip link, service navigation menu, error
// summary focus, password reveal, ...) and re-runs them on content htmx swaps in.
import { initAll } from '../vendor/govuk-frontend/govuk-frontend.min.js'

initAll()

document.addEventListener('htmx:load', (event) => {
  const scope = event.detail && event.detail.elt
  // htmx also fires htmx:load for <body> on start-up, which initAll() covered.
  if (scope instanceof HTMLElement && scope !== document.body) {
    initAll({ scope })
  }
})
