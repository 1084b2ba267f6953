// The search results page (templates/roles/search.html) with JavaScript: a person's
// name loads their match explanation with htmx into a panel row under their row,
// instead of opening the explanation page. This script shows the panel once loaded,
// moves focus to its heading, keeps aria-expanded on the name link in step, and
// hides the panel again when the name is chosen a second time. Without it (or
// without JavaScript) the name is an ordinary link to the explanation page.

function panelRowFor (link) {
  return document.getElementById(link.dataset.panelRow || '')
}

function enhance (scope) {
  scope.querySelectorAll('[data-explain-link]').forEach((link) => {
    if (link.dataset.explainReady === 'true') return
    link.dataset.explainReady = 'true'
    link.setAttribute('aria-expanded', 'false')
    link.setAttribute('aria-controls', link.dataset.panelRow)
  })
}

// A second choice of an open panel's link closes it, before htmx sees the click.
document.addEventListener('click', (event) => {
  const link = event.target instanceof Element && event.target.closest('[data-explain-link]')
  if (!link || link.getAttribute('aria-expanded') !== 'true') return
  event.preventDefault()
  event.stopPropagation()
  const row = panelRowFor(link)
  if (row) row.hidden = true
  link.setAttribute('aria-expanded', 'false')
}, true)

document.addEventListener('htmx:afterSwap', (event) => {
  const panel = event.detail && event.detail.target
  if (!(panel instanceof HTMLElement) || !panel.matches('[data-explain-panel]')) return
  const row = panel.closest('tr')
  if (!row) return
  row.hidden = false
  const link = document.querySelector(`[data-explain-link][data-panel-row="${row.id}"]`)
  if (link) link.setAttribute('aria-expanded', 'true')
  const heading = panel.querySelector('[tabindex="-1"]')
  if (heading) heading.focus()
})

// A new page of results (the pagination links are boosted): the link that had focus
// is gone, so focus the results heading rather than leave it on the page body.
document.addEventListener('htmx:afterSettle', (event) => {
  const target = event.detail && event.detail.target
  if (!(target instanceof HTMLElement) || target.id !== 'search-results') return
  const active = document.activeElement
  if (active && active !== document.body && document.contains(active)) return
  const heading = document.querySelector('#search-results [data-results-heading]')
  if (heading) heading.focus()
})

enhance(document)
document.addEventListener('htmx:load', (event) => {
  const scope = event.detail && event.detail.elt
  if (scope instanceof HTMLElement) enhance(scope)
})
