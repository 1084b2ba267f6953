// Enhances templates/includes/skill_autocomplete.html into an accessible combobox
// (WAI-ARIA 1.2 "list autocomplete" pattern): the text input becomes role="combobox"
// with aria-expanded, aria-controls and aria-activedescendant; options come from the
// server's HTML fragment (GET data-source?q=...), debounced; a polite live region says
// how many were found. A request still running after SEARCHING_DELAY_MS shows
// "Searching…" under the input and says it in the live region, so a slow answer
// (the first query after a taxonomy change rebuilds the label index) is not silence. Up/Down move through the options, Enter chooses, Escape closes.
// Choosing an option fills the hidden skill id (or, with data-navigate, opens the
// skill's page). Without this script the component is a plain text input that the
// form resolves on the server.

const DEBOUNCE_MS = 200
const MIN_CHARS = 2
const SEARCHING_DELAY_MS = 400 // quicker answers need no "Searching…"
const MODULE = 'app-skill-autocomplete'

function announce (status, text) {
  if (!status) return
  // Clear first so the same message twice in a row is still read out.
  status.textContent = ''
  window.setTimeout(() => { status.textContent = text }, 50)
}

function enhance (root) {
  if (root.dataset.autocompleteReady === 'true') return
  const input = root.querySelector('.app-autocomplete__input')
  const listbox = root.querySelector('[role="listbox"]')
  if (!input || !listbox || !root.dataset.source) return
  root.dataset.autocompleteReady = 'true'

  const status = root.querySelector('[data-autocomplete-status]')
  const searching = root.querySelector('[data-autocomplete-searching]')
  const navigate = root.dataset.navigate === 'true'
  const idName = root.dataset.idName || ''
  const idInputId = root.dataset.idInput || ''
  const exclude = root.dataset.exclude || ''
  const optionPrefix = `${listbox.id}-option-`

  let options = []
  let active = -1
  let timer = null
  let controller = null
  let lastQuery = null
  let searchingTimer = null
  let requestNumber = 0

  // Instructions for screen reader users, read with the input's description.
  const help = document.createElement('span')
  help.id = `${input.id}-autocomplete-help`
  help.className = 'govuk-visually-hidden'
  help.textContent = 'When results are available, use up and down arrows to review them and enter to select.'
  root.appendChild(help)
  const describedBy = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
  describedBy.push(help.id)
  input.setAttribute('aria-describedby', describedBy.join(' '))

  input.setAttribute('role', 'combobox')
  input.setAttribute('aria-autocomplete', 'list')
  input.setAttribute('aria-expanded', 'false')
  input.setAttribute('aria-controls', listbox.id)
  input.setAttribute('autocomplete', 'off')

  const noResults = document.createElement('p')
  noResults.className = 'govuk-body-s app-secondary-text app-autocomplete__no-results'
  noResults.hidden = true
  noResults.textContent = 'No skills found'
  listbox.insertAdjacentElement('afterend', noResults)

  function hiddenInput (create) {
    if (!idName) return null
    let hidden = idInputId ? document.getElementById(idInputId) : null
    if (hidden && hidden.type !== 'hidden') hidden = null // a suggestion radio has that id
    if (!hidden && create) {
      hidden = document.createElement('input')
      hidden.type = 'hidden'
      hidden.name = idName
      if (idInputId) hidden.id = idInputId
      root.appendChild(hidden)
    }
    return hidden
  }

  function setActive (index) {
    options.forEach((option, i) => {
      const on = i === index
      option.classList.toggle('app-autocomplete__option--focused', on)
      option.setAttribute('aria-selected', on ? 'true' : 'false')
    })
    active = index
    if (index >= 0 && options[index]) {
      input.setAttribute('aria-activedescendant', options[index].id)
      options[index].scrollIntoView({ block: 'nearest' })
    } else {
      input.removeAttribute('aria-activedescendant')
    }
  }

  function open () {
    if (!options.length) return
    listbox.hidden = false
    input.setAttribute('aria-expanded', 'true')
  }

  function close () {
    listbox.hidden = true
    input.setAttribute('aria-expanded', 'false')
    setActive(-1)
  }

  function render (items, query) {
    listbox.replaceChildren()
    options = items.map((item, i) => {
      const option = document.importNode(item, true)
      option.id = `${optionPrefix}${i}`
      option.setAttribute('role', 'option')
      option.setAttribute('aria-selected', 'false')
      option.tabIndex = -1
      listbox.appendChild(option)
      return option
    })
    active = -1
    input.removeAttribute('aria-activedescendant')
    noResults.hidden = options.length > 0 || !query
    if (options.length) {
      open()
      announce(status, `${options.length} ${options.length === 1 ? 'result is' : 'results are'} available.`)
    } else {
      close()
      if (query) announce(status, 'No skills found.')
    }
  }

  function showSearching (on) {
    window.clearTimeout(searchingTimer)
    if (!searching) return
    if (!on) {
      searching.hidden = true
      return
    }
    searchingTimer = window.setTimeout(() => {
      searching.hidden = false
      noResults.hidden = true
      announce(status, 'Searching…')
    }, SEARCHING_DELAY_MS)
  }

  async function load (query) {
    if (controller) controller.abort()
    controller = new AbortController()
    const number = ++requestNumber
    showSearching(true)
    const url = new URL(root.dataset.source, window.location.href)
    url.searchParams.set('q', query)
    if (exclude) url.searchParams.set('exclude', exclude)
    try {
      const response = await fetch(url, {
        credentials: 'same-origin',
        headers: { Accept: 'text/html' },
        signal: controller.signal
      })
      if (!response.ok) return
      const html = await response.text()
      if (input.value.trim() !== query) return // typed on since; a newer request follows
      // DOMParser builds an inert document: nothing in it runs.
      const doc = new DOMParser().parseFromString(`<ul>${html}</ul>`, 'text/html')
      render([...doc.querySelectorAll('[data-skill-option]')], query)
    } catch (error) {
      if (error.name !== 'AbortError') close()
    } finally {
      // Only the newest request owns the indicator; an aborted one leaves it on.
      if (number === requestNumber) showSearching(false)
    }
  }

  function choose (index) {
    const option = options[index]
    if (!option) return
    input.value = option.dataset.value || option.textContent.trim()
    lastQuery = input.value.trim()
    close()
    noResults.hidden = true
    if (navigate && option.dataset.href) {
      window.location.assign(option.dataset.href)
      return
    }
    const hidden = hiddenInput(true)
    if (hidden) hidden.value = option.dataset.skillId || ''
    // The server's "which did you mean" radios are answered by this choice.
    const suggestions = document.querySelector(`[data-skill-suggestions-for="${input.id}"]`)
    if (suggestions) suggestions.remove()
    announce(status, `${input.value} selected.`)
  }

  input.addEventListener('input', () => {
    const hidden = hiddenInput(false)
    if (hidden) hidden.value = '' // the text no longer names the chosen skill
    const query = input.value.trim()
    window.clearTimeout(timer)
    if (query.length < MIN_CHARS) {
      if (controller) controller.abort()
      requestNumber++
      showSearching(false)
      lastQuery = null
      options = []
      listbox.replaceChildren()
      noResults.hidden = true
      close()
      return
    }
    if (query === lastQuery) return
    timer = window.setTimeout(() => {
      lastQuery = query
      load(query)
    }, DEBOUNCE_MS)
  })

  input.addEventListener('keydown', (event) => {
    const expanded = !listbox.hidden
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault()
        if (!expanded) {
          open()
          if (options.length && !event.altKey) setActive(0)
        } else if (active < options.length - 1) {
          setActive(active + 1)
        }
        break
      case 'ArrowUp':
        if (expanded) {
          event.preventDefault()
          setActive(active > 0 ? active - 1 : -1)
        }
        break
      case 'Enter':
        if (expanded && active >= 0) {
          event.preventDefault()
          choose(active)
        }
        break
      case 'Escape':
        if (expanded) {
          event.preventDefault()
          close()
        }
        break
      case 'Tab':
        close()
        break
    }
  })

  // Keep focus in the input while the pointer picks an option.
  listbox.addEventListener('mousedown', (event) => event.preventDefault())
  listbox.addEventListener('click', (event) => {
    const option = event.target.closest('[role="option"]')
    if (option) choose(options.indexOf(option))
  })

  input.addEventListener('blur', () => close())
  input.addEventListener('focus', () => {
    if (options.length && input.value.trim() === lastQuery) open()
  })

  root.classList.add('app-autocomplete--enhanced')
}

function init (scope) {
  const roots = scope.matches && scope.matches(`[data-module="${MODULE}"]`)
    ? [scope]
    : [...scope.querySelectorAll(`[data-module="${MODULE}"]`)]
  roots.forEach(enhance)
}

init(document)

document.addEventListener('htmx:load', (event) => {
  const scope = event.detail && event.detail.elt
  if (scope instanceof HTMLElement) init(scope)
})
