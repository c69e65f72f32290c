// API client / 接口客户端: fetch with the session cookie (credentials 'same-origin'); the CSRF
// token from the login response is kept in sessionStorage and sent as X-CSRF-Token on unsafe
// methods. Errors become ApiError with the server's {"error":{"code","message"}}.
import { reactive } from 'vue'

const CSRF_KEY = 'zp_csrf'
export const session = reactive({ user: null, checked: false })

export class ApiError extends Error {
  constructor(status, code, message, errors) {
    super(message || code)
    this.status = status
    this.code = code
    this.errors = errors || []
    this.retryAfter = null
  }
}

function query(params) {
  if (!params) return ''
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x))
    else q.append(k, String(v))
  }
  const s = q.toString()
  return s ? '?' + s : ''
}

const listeners = new Set()
export function onUnauthenticated(fn) { listeners.add(fn); return () => listeners.delete(fn) }

export async function api(path, { method = 'GET', params, body, raw = false } = {}) {
  const headers = { Accept: 'application/json' }
  const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(method)
  if (unsafe) {
    const csrf = sessionStorage.getItem(CSRF_KEY)
    if (csrf) headers['X-CSRF-Token'] = csrf
  }
  let payload
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Blob || body instanceof FormData) payload = body
    else { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json' }
  }
  let res
  try {
    res = await fetch('/api/v1' + path + query(params), { method, headers, body: payload, credentials: 'same-origin' })
  } catch (e) {
    throw new ApiError(0, 'NETWORK', e.message)
  }
  if (res.ok) {
    if (raw) return res
    if (res.status === 204) return null
    return res.json()
  }
  let code = 'UNKNOWN', message = res.statusText, errors
  try {
    const j = await res.json()
    if (j && j.error) { code = j.error.code || code; message = j.error.message || message; errors = j.errors }
  } catch { /* not JSON */ }
  if (res.status === 401) code = code === 'UNKNOWN' ? 'UNAUTHENTICATED' : code
  if (res.status === 403 && code === 'UNKNOWN') code = 'PERMISSION_DENIED'
  const err = new ApiError(res.status, code, message, errors)
  err.retryAfter = res.headers.get('Retry-After')
  if (res.status === 401 && path !== '/login') {
    session.user = null
    sessionStorage.removeItem(CSRF_KEY)
    listeners.forEach((fn) => fn(err))
  }
  throw err
}

export async function login(username, password) {
  const r = await api('/login', { method: 'POST', body: { username, password } })
  sessionStorage.setItem(CSRF_KEY, r.csrf_token)
  session.user = r.user
  return r.user
}

export async function logout() {
  try { await api('/logout', { method: 'POST' }) } catch { /* session may already be gone */ }
  sessionStorage.removeItem(CSRF_KEY)
  session.user = null
}

export async function loadMe() {
  // No CSRF token in this tab means no usable session (it is kept per tab): show the login page
  // without asking the server, so a fresh visit makes no failing request.
  if (!sessionStorage.getItem(CSRF_KEY)) {
    session.user = null
    session.checked = true
    return null
  }
  try {
    session.user = await api('/me')
  } catch (e) {
    session.user = null
    if (e.status === 401) sessionStorage.removeItem(CSRF_KEY)
    else throw e
  } finally {
    session.checked = true
  }
  return session.user
}
