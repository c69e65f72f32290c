// A minimal history router (no vue-router): paths under the Vite base (/app/).
import { ref } from 'vue'

const base = import.meta.env.BASE_URL.replace(/\/$/, '') // "/app"

function current() {
  let p = location.pathname
  if (p.startsWith(base)) p = p.slice(base.length)
  return p === '' ? '/' : p
}

export const route = ref(current())
window.addEventListener('popstate', () => { route.value = current() })

export function navigate(path, replace = false) {
  const url = base + path
  if (replace) history.replaceState(null, '', url)
  else history.pushState(null, '', url)
  route.value = path
}

export function href(path) { return base + path }

// Pages by role / 按角色的页面. park = admin, analyst, auditor (they may read /api/v1/carbon/core).
export const PAGES = [
  { path: '/overview', key: 'nav.overview', roles: ['admin', 'analyst', 'auditor'] },
  { path: '/enterprises', key: 'nav.enterprises', roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
  { path: '/energy', key: 'nav.energy', roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
  { path: '/carbon', key: 'nav.carbon', roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
  { path: '/meters', key: 'nav.meters', roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
  { path: '/import', key: 'nav.import', roles: ['admin', 'enterprise'] },
  { path: '/green', key: 'nav.green', roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
  { path: '/environment', key: 'nav.environment', roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
]

export function pagesFor(role) { return PAGES.filter((p) => p.roles.includes(role)) }
