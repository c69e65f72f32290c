// Shared helpers of the dashboard's browser tests / 看板浏览器测试的公共函数.
// Chromium (Debian's /usr/bin/chromium) driven by playwright-core, a devDependency of web/.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(new URL('../../web/package.json', import.meta.url))

export function loadPlaywright() {
  try {
    return require('playwright-core')
  } catch {
    return null
  }
}

// Headless, no sandbox (root in CI), and none of the browser's own network traffic.
export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-default-apps', '--disable-domain-reliability', '--disable-client-side-phishing-detection',
  '--disable-breakpad', '--no-first-run', '--no-default-browser-check', '--metrics-recording-only',
  '--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,' +
    'CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,NetworkTimeServiceQuerying,SafeBrowsing',
]

// Number formats as the dashboard shows them / 与看板一致的数字格式.
export function fmt(loc, v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  return new Intl.NumberFormat(loc, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v)
}
export function fmtPct(loc, v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  return new Intl.NumberFormat(loc, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v)
}

// Results of one run / 一次运行的结果.
export class Results {
  constructor() { this.checks = []; this.problems = []; this.prefix = '' }
  ok(name) { this.checks.push(this.prefix + name); console.log(`  ok   ${this.prefix}${name}`) }
  fail(name, detail) { this.problems.push(`${this.prefix}${name}: ${detail}`); console.log(`  FAIL ${this.prefix}${name}: ${detail}`) }
  expectEq(name, got, want) {
    if (got === want) this.ok(name)
    else this.fail(name, `shown ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
  }
  expect(name, cond, detail = '') { if (cond) this.ok(name); else this.fail(name, detail || 'false') }
}

// A browser context logged in through the login page as `user`; every console error, page error,
// failed request, HTTP status >= 400 (unless allowed) and request to another origin is a problem.
export async function openSession(browser, { base, appPath, user, password, results, viewport }) {
  const origin = new URL(base).origin
  const context = await browser.newContext({
    viewport: viewport || { width: 1400, height: 1000 }, locale: 'zh-CN', acceptDownloads: true, timezoneId: 'Asia/Shanghai',
  })
  const page = await context.newPage()
  const allowed = [] // [{ status, pattern }] HTTP errors a check expects (e.g. 400 for a bad upload)
  await context.route('**/*', (route) => {
    const u = route.request().url()
    if (u.startsWith('data:') || u.startsWith('blob:') || new URL(u).origin === origin) return route.continue()
    results.fail('request to another origin', u)
    return route.abort()
  })
  page.on('console', (m) => {
    if (m.type() !== 'error') return
    // The browser logs every HTTP error response; those are judged by the response handler.
    if (/Failed to load resource: the server responded with a status of/.test(m.text())) return
    results.fail('console error', m.text())
  })
  page.on('pageerror', (e) => results.fail('page error', e.message))
  page.on('requestfailed', (r) => {
    if (r.url().startsWith('blob:')) return // a CSV download's object URL is revoked after the click
    const err = r.failure()?.errorText || ''
    if (err.includes('ERR_ABORTED') && /\/api\/v1\//.test(r.url())) return // a superseded fetch (page left)
    results.fail('request failed', `${r.method()} ${r.url()} ${err}`)
  })
  page.on('response', (r) => {
    if (r.status() < 400) return
    if (allowed.some((a) => a.status === r.status() && a.pattern.test(r.url()))) return
    results.fail('HTTP error', `${r.status()} ${r.request().method()} ${r.url()}`)
  })
  const app = base + appPath
  await page.goto(app)
  await page.waitForSelector('input[name=username]', { timeout: 15000 })
  await page.fill('input[name=username]', user)
  await page.fill('input[name=password]', password)
  await page.click('[data-testid=login-submit]')
  await page.waitForSelector('[data-testid=who], [data-testid=error]', { timeout: 30000 })
  const get = async (path) => {
    const r = await page.request.get(base + '/api/v1' + path)
    if (!r.ok()) throw new Error(`GET ${path}: HTTP ${r.status()}`)
    return r.json()
  }
  return { context, page, get, app, allowHttpError: (status, pattern) => allowed.push({ status, pattern }) }
}

// Switches the language with the top-bar button and waits for <html lang>.
export async function setLanguage(page, loc) {
  const cur = await page.evaluate(() => document.documentElement.lang)
  if (cur === loc) return
  await page.click('[data-testid=lang]')
  await page.waitForFunction((l) => document.documentElement.lang === l, loc)
}

// Opens a page of the app by its navigation link and waits until it says it is ready
// (data-ready="true" on [data-testid=page-NAME]) or shows an error.
export async function openPage(page, name, timeout = 30000) {
  await page.click(`[data-nav=${name}]`)
  await page.waitForSelector(`[data-testid=page-${name}][data-ready=true], [data-testid=page-${name}] [data-testid=error]`, { timeout })
}

// Visible interface text with Chinese characters in an English page, outside API-supplied names
// (table bodies, <details> with cited sources, elements marked data-name, the user's name).
export async function chineseLeft(page) {
  return page.evaluate(() => {
    const skip = (el) => el.closest('details, tbody, .who, [data-testid=lang], [data-name], option, select, .tree, .mono')
    const out = []
    const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    while (w.nextNode()) {
      const n = w.currentNode
      if (!n.parentElement || n.parentElement.offsetParent === null) continue
      if (/[\u4e00-\u9fff]/.test(n.textContent) && !skip(n.parentElement)) out.push(n.textContent.trim())
    }
    return out
  })
}

export function shotPath(dir, name) { return join(dir, name.replace(/[^a-zA-Z0-9_.-]/g, '_') + '.png') }

// `zeropark demo` on a fresh database in `dir`, port 0 (extra arguments: --enterprises N,
// --no-live ...); resolves with { child, url, accounts, out } once it prints the URL it serves.
// `out` keeps what it prints (up to 64 kB). On a timeout the process is killed.
export async function startDemo(binary, dir, extraArgs = [], timeoutMs = 180000) {
  const db = join(dir, 'demo.zpdb')
  const child = spawn(binary, ['demo', '--db', db, '--port', '0', '--hj212-port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const url = await new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      rej(new Error(`zeropark demo did not print its URL within ${timeoutMs / 1000} s\n` + out))
    }, timeoutMs)
    const onData = (d) => {
      out += d.toString()
      const m = /serving .* at (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)
      if (m) { clearTimeout(timer); res(m[1]) }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code) => { clearTimeout(timer); rej(new Error(`zeropark demo exited with ${code}\n${out}`)) })
  })
  child.removeAllListeners('exit')
  child.stdout.removeAllListeners('data')
  child.stderr.removeAllListeners('data')
  const s = { child, url, accounts: db + '.accounts.txt', out }
  const more = (d) => { if (s.out.length < 65536) s.out += d.toString() }
  child.stdout.on('data', more)
  child.stderr.on('data', more)
  return s
}

// Stops a server of startDemo (SIGTERM, then waits up to 10 s).
export async function stopDemo(s) {
  if (!s) return
  s.child.kill('SIGTERM')
  await new Promise((r) => { s.child.on('exit', r); setTimeout(r, 10000) })
}

// "  admin      demo-admin       password / 密码: XXXX" -> { admin: { user, password } }
export function readAccounts(file) {
  const out = {}
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s+(\w+)\s+(\S+)\s+password \/ 密码: (\S+)/.exec(line)
    if (m) out[m[1]] = { user: m[2], password: m[3] }
  }
  return out
}
