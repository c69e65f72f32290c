#!/usr/bin/env node
// Dashboard speed benchmark / 看板速度基准 (issue 5: first render < 1 s, every chart's data from
// the API < 200 ms, on the demo park).
//
// Starts `zeropark demo` on a temporary database and port 0 (default park: 200 enterprises,
// 2025-01-01 to yesterday plus the live feed), then
//  1. API: the requests each page makes on its first render (the pages' own logic, replayed with
//     the parameters they derive from earlier answers), as the admin and as the enterprise user,
//     over one kept-alive connection with Accept-Encoding gzip. The first request of each URL
//     after the start is the "cold" one; then 1 warm-up and N timed requests (median, max).
//  2. Pages: Debian's chromium at 1920x1080, logged in as the admin and as the enterprise user;
//     for each page, page.goto of its URL (a full load) until [data-testid=page-NAME] has
//     data-ready="true" (timed inside the page from navigation start), First Contentful Paint,
//     and the end of the last API response; median of L loads with the HTTP cache disabled and
//     of L loads with a warm cache. The API requests the browser made are compared with part 1.
// Prints a markdown report; --json FILE also writes the raw figures.
//   node bench/dashboard_bench.mjs --binary build-release/apps/zeropark/zeropark --web-dir web/dist
//   options: --enterprises N (default: the demo's, 200)  --no-live (demo without the live feed)
//            --reps 10  --loads 5
//            --chromium /usr/bin/chromium  --json FILE
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import { join, resolve } from 'node:path'
import zlib from 'node:zlib'
import { CHROMIUM_ARGS, Results, loadPlaywright, openSession, readAccounts, startDemo, stopDemo } from '../tests/browser/lib.mjs'

const API_LIMIT_MS = 200
const PAGE_LIMIT_MS = 1000

function usage(msg, code = 2) {
  if (msg) console.error(msg)
  console.error('usage / 用法: dashboard_bench.mjs --binary PATH --web-dir DIR [--enterprises N] [--no-live] [--reps 10] [--loads 5]\n' +
    '       [--chromium /usr/bin/chromium] [--json FILE]')
  process.exit(code)
}

const opts = { binary: '', webDir: '', enterprises: null, noLive: false, reps: 10, loads: 5, chromium: '/usr/bin/chromium', json: '' }
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]
  const v = () => { if (i + 1 >= argv.length) usage(`missing value for ${a} / 缺少参数值`); return argv[++i] }
  if (a === '--binary') opts.binary = resolve(v())
  else if (a === '--web-dir') opts.webDir = resolve(v())
  else if (a === '--enterprises') opts.enterprises = v()
  else if (a === '--no-live') opts.noLive = true
  else if (a === '--reps') opts.reps = Number(v())
  else if (a === '--loads') opts.loads = Number(v())
  else if (a === '--chromium') opts.chromium = v()
  else if (a === '--json') opts.json = resolve(v())
  else if (a === '-h' || a === '--help') usage('', 0)
  else usage(`unknown argument ${a} / 未知参数`)
}
if (!opts.binary || !opts.webDir) usage('--binary and --web-dir are required / 缺少必需参数')
if (!(opts.reps >= 1) || !(opts.loads >= 1)) usage('--reps and --loads must be >= 1')

const pw = loadPlaywright()
if (!pw) { console.error('playwright-core is missing: run scripts/web.sh first / 缺少 playwright-core, 请先运行 scripts/web.sh'); process.exit(2) }

const log = (s) => process.stderr.write(s + '\n')
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN
}

// ---------------------------------------------------------------- the server (as tests/browser/run.mjs)

// ---------------------------------------------------------------- part 1: the API

// The query string as web/src/api.js builds it.
function query(params) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue
    q.append(k, String(v))
  }
  const s = q.toString()
  return s ? '?' + s : ''
}
// A URL with its parameters sorted, to compare the replay with what the browser asked.
function normal(pathAndQuery) {
  const u = new URL(pathAndQuery, 'http://x')
  const p = [...u.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return u.pathname + (p.length ? '?' + new URLSearchParams(p).toString() : '')
}

// One kept-alive connection like a browser's, gzip accepted, the session cookie kept.
function apiClient(base) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const origin = new URL(base)
  let cookie = ''
  function request(method, path, body) {
    return new Promise((res, rej) => {
      const headers = { Accept: 'application/json', 'Accept-Encoding': 'gzip, deflate' }
      if (cookie) headers.Cookie = cookie
      let payload
      if (body !== undefined) { payload = Buffer.from(JSON.stringify(body)); headers['Content-Type'] = 'application/json' }
      const t0 = process.hrtime.bigint()
      const req = http.request({ host: origin.hostname, port: origin.port, path, method, headers, agent }, (r) => {
        const chunks = []
        r.on('data', (c) => chunks.push(c))
        r.on('end', () => {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6 // last byte received
          const wire = Buffer.concat(chunks)
          const enc = r.headers['content-encoding']
          let raw = wire
          try { if (enc === 'gzip') raw = zlib.gunzipSync(wire); else if (enc === 'deflate') raw = zlib.inflateSync(wire) } catch (e) { return rej(e) }
          for (const c of r.headers['set-cookie'] || []) {
            const kv = c.split(';')[0]
            const name = kv.split('=')[0]
            cookie = [...cookie.split('; ').filter((x) => x && !x.startsWith(name + '=')), kv].join('; ')
          }
          res({ status: r.statusCode, ms, wire: wire.length, raw: raw.length, enc: enc || 'identity', text: raw.toString('utf8') })
        })
        r.on('error', rej)
      })
      req.on('error', rej)
      if (payload) req.write(payload)
      req.end()
    })
  }
  return { request, close: () => agent.destroy() }
}

// Replays what each page asks on its first render (web/src/pages/*.vue, components/*.vue), with
// the parameters the page derives from earlier answers. Each URL's first request is timed (cold).
function recorder(client, role) {
  const seen = new Map() // url -> { url, role, pages:Set, cold, order }
  async function get(page, path, params) {
    const url = '/api/v1' + path + query(params)
    let e = seen.get(url)
    if (e) { e.pages.add(page); const r = await client.request('GET', url); return JSON.parse(r.text) }
    const r = await client.request('GET', url)
    if (r.status !== 200) throw new Error(`GET ${url} as ${role}: HTTP ${r.status} ${r.text.slice(0, 200)}`)
    e = { url, role, pages: new Set([page]), cold: r.ms, order: seen.size + 1 }
    seen.set(url, e)
    return JSON.parse(r.text)
  }
  return { get, seen }
}

function nextMonth(ym) {
  let [y, m] = ym.split('-').map(Number)
  m += 1
  if (m > 12) { m = 1; y += 1 }
  return `${y}-${String(m).padStart(2, '0')}-01`
}

// Energy and carbon pages (web/src/drill.js useDrillPage, park level, grouped by zone,
// per year): the years with readings, then the level's row and months and the groups, for the
// year and the previous one when it has readings; the carbon page adds /carbon/core for park roles.
async function drillPage(get, page, endpoint, parkWide) {
  const now = new Date().getFullYear()
  const s = await get(page, '/sums', { by: 'park', period: 'year', from: '1990-01-01', to: `${now + 2}-01-01` })
  let years = [...new Set((s.rows || []).filter((r) => r.readings > 0).map((r) => Number(String(r.period).slice(0, 4))))]
  years.sort((a, b) => b - a)
  if (!years.length) { const e = await get(page, '/energy', { by: 'park' }); years = [Number(String(e.from).slice(0, 4))] }
  const y = years[0]
  const prev = years.includes(y - 1)
  const q = (by, per, yy) => get(page, endpoint, { by, period: per, year: yy })
  await q('park', 'year', y)
  if (prev) await q('park', 'year', y - 1)
  await q('park', 'month', y)
  if (prev) await q('park', 'month', y - 1)
  await q('zone', 'year', y)
  if (prev) await q('zone', 'year', y - 1)
  if (endpoint === '/carbon' && parkWide) await get(page, '/carbon/core', { year: y })
}

async function metersPage(get) { // pages/MetersPage.vue load()
  await get('meters', '/meters', { limit: 100000 })
  await get('meters', '/enterprises', { limit: 100000 })
  await get('meters', '/zones', { limit: 1000 })
  await get('meters', '/completeness/summary', { by: 'meter' })
  await get('meters', '/completeness/summary', { by: 'day' })
}

async function replayAdmin(get) {
  await get('app', '/me') // App.vue loadMe() on every full load
  // pages/OverviewPage.vue load() + loadToday()
  await get('overview', '/today')
  const latest = await get('overview', '/energy', { by: 'carrier' })
  const y = Number(String(latest.from).slice(0, 4))
  await get('overview', '/carbon/core', { year: y })
  await get('overview', '/energy', { by: 'carrier', year: y })
  await get('overview', '/energy', { by: 'enterprise', year: y })
  const mon = await get('overview', '/carbon', { by: 'park', period: 'month', year: y })
  const withData = (mon.rows || []).filter((r) => (r.tce?.equivalent || 0) > 0)
  if (withData.length) {
    const ym = withData[withData.length - 1].period.slice(0, 7)
    await get('overview', '/completeness/summary', { by: 'day', from: ym + '-01', to: nextMonth(ym) })
  }
  // components/EnterpriseList.vue load() and EnterprisesPage.vue ensureYears()
  await get('enterprises', '/enterprises', { limit: 5000 })
  await get('enterprises', '/zones', { limit: 5000 })
  const e = await get('enterprises', '/energy', { by: 'enterprise' })
  await get('enterprises', '/carbon', { by: 'enterprise' })
  const ly = Number(String(e.from).slice(0, 4))
  await get('enterprises', '/energy', { by: 'park', period: 'year', from: `${ly - 9}-01`, to: `${ly}-12` })
  await drillPage(get, 'energy', '/energy', true)
  await drillPage(get, 'carbon', '/carbon', true)
  await metersPage(get)
  // pages/ImportPage.vue onMounted
  await get('import', '/meters', { limit: 100000 })
  await get('import', '/mappings')
}

async function replayEnterprise(get) {
  const me = await get('app', '/me')
  const c = me.enterprise_code
  if (!c) throw new Error('the enterprise account has no enterprise_code in /api/v1/me')
  // /enterprises goes to /enterprises/CODE: components/EnterpriseDetail.vue load() without a year
  const e = await get('enterprises', '/energy', { by: 'enterprise', enterprise: c })
  await get('enterprises', '/carbon', { by: 'enterprise', enterprise: c })
  const y = Number(String(e.from).slice(0, 4))
  await get('enterprises', '/enterprises/' + encodeURIComponent(c))
  await get('enterprises', '/zones', { limit: 5000 })
  await get('enterprises', '/energy', { by: 'carrier', enterprise: c, year: y })
  await get('enterprises', '/carbon', { by: 'carrier', enterprise: c, year: y })
  await get('enterprises', '/energy', { by: 'enterprise', enterprise: c, period: 'month', year: y })
  await get('enterprises', '/carbon', { by: 'enterprise', enterprise: c, period: 'month', year: y })
  await get('enterprises', '/meters', { enterprise: c, limit: 5000 })
  await get('enterprises', '/sums', { by: 'meter', enterprise: c, period: 'year', from: `${y}-01-01`, to: `${y + 1}-01-01` })
  await get('enterprises', '/energy', { by: 'park', period: 'year', from: `${y - 9}-01`, to: `${y}-12` })
  await drillPage(get, 'energy', '/energy', false)
  await drillPage(get, 'carbon', '/carbon', false)
  await metersPage(get)
  await get('import', '/meters', { limit: 100000 })
}

async function login(client, acct) {
  const r = await client.request('POST', '/api/v1/login', { username: acct.user, password: acct.password })
  if (r.status !== 200) throw new Error(`login ${acct.user}: HTTP ${r.status} ${r.text.slice(0, 200)}`)
  return r.ms
}

// Warm figures of one URL: 1 warm-up, then `reps` timed requests.
async function warm(client, url) {
  await client.request('GET', url)
  const ms = []
  let last = null
  for (let i = 0; i < opts.reps; i++) {
    last = await client.request('GET', url)
    if (last.status !== 200) throw new Error(`GET ${url}: HTTP ${last.status}`)
    ms.push(last.ms)
  }
  return { median: median(ms), max: Math.max(...ms), wire: last.wire, raw: last.raw, enc: last.enc }
}

// ---------------------------------------------------------------- part 2: the pages

const ADMIN_PAGES = ['overview', 'enterprises', 'energy', 'carbon', 'meters', 'import']
const ENTERPRISE_PAGES = ['enterprises', 'energy', 'carbon', 'meters', 'import']

// Runs in the page before its scripts: notes when [data-testid=page-*] first has data-ready=true.
function readyProbe() {
  window.__zpReady = null
  const check = () => {
    if (window.__zpReady !== null) return
    const el = document.querySelector('[data-testid^="page-"][data-ready="true"]')
    if (el) { window.__zpReady = { at: performance.now(), page: el.getAttribute('data-testid') }; obs.disconnect() }
  }
  const obs = new MutationObserver(check)
  obs.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready'] })
}

async function loadOnce(page, url, name) {
  const t0 = Date.now()
  await page.goto(url, { waitUntil: 'commit' })
  await page.waitForSelector(`[data-testid=page-${name}][data-ready=true], [data-testid=page-${name}] [data-testid=error]`, { timeout: 60000 })
  const wall = Date.now() - t0
  if (await page.locator(`[data-testid=page-${name}] [data-testid=error]`).count()) {
    throw new Error(`${name}: the page shows an error: ` + await page.locator('[data-testid=error]').first().innerText())
  }
  await page.waitForLoadState('networkidle')
  return page.evaluate(({ wall }) => {
    const fcp = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint')
    const res = performance.getEntriesByType('resource')
    const api = res.filter((e) => new URL(e.name).pathname.startsWith('/api/v1/'))
    const assets = res.filter((e) => new URL(e.name).pathname.startsWith('/app/assets/'))
    const slowest = api.reduce((a, e) => (!a || e.duration > a.duration ? e : a), null)
    const u = (e) => { const x = new URL(e.name); return x.pathname + x.search }
    return {
      ready: window.__zpReady ? window.__zpReady.at : null,
      fcp: fcp ? fcp.startTime : null,
      apiEnd: api.length ? Math.max(...api.map((e) => e.responseEnd)) : null,
      apiCount: api.length,
      apiUrls: api.map(u),
      slowest: slowest ? { url: u(slowest), start: slowest.startTime, ms: slowest.duration } : null,
      assetsFromCache: assets.filter((e) => e.transferSize === 0).length,
      assetsEnd: assets.length ? Math.max(...assets.map((e) => e.responseEnd)) : null,
      assets: assets.length,
      wall,
    }
  }, { wall })
}

async function benchPages(browser, base, acct, role, names) {
  const results = new Results()
  const s = await openSession(browser, { base, appPath: '/app/', user: acct.user, password: acct.password, results, viewport: { width: 1920, height: 1080 } })
  // openSession routes every request through playwright (to refuse other origins); routing
  // disables the HTTP cache and adds a round trip per request, so the measured loads go without it.
  await s.context.unrouteAll()
  await s.context.addInitScript(readyProbe)
  const cdp = await s.context.newCDPSession(s.page)
  await cdp.send('Network.enable')
  const out = []
  try {
    for (const name of names) {
      const url = base + '/app/' + name
      const row = { role, page: name, cold: [], warm: [] }
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
      for (let i = 0; i < opts.loads; i++) row.cold.push(await loadOnce(s.page, url, name))
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: false })
      await loadOnce(s.page, url, name) // fills the cache
      for (let i = 0; i < opts.loads; i++) row.warm.push(await loadOnce(s.page, url, name))
      const m = (xs, k) => median(xs.map((x) => x[k]))
      log(`  ${role} ${name}: ready ${m(row.cold, 'ready').toFixed(0)} ms cold cache, ${m(row.warm, 'ready').toFixed(0)} ms warm; FCP ${m(row.warm, 'fcp').toFixed(0)} ms`)
      out.push(row)
    }
  } finally {
    await s.context.close()
  }
  if (results.problems.length) out.problems = results.problems
  return out
}

// ---------------------------------------------------------------- the report

function machine() {
  let cpu = ''
  try { cpu = (/model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8')) || [])[1] || '' } catch { /* not Linux */ }
  return { nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length, cpu, load: os.loadavg().map((x) => x.toFixed(2)).join(', ') }
}

function gitRev() {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    return rev + (dirty ? ' + uncommitted changes' : '')
  } catch { return 'unknown' }
}

const f0 = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(0))
const f1 = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(1))
const kb = (n) => (n >= 1024 ? (n / 1024).toFixed(1) + ' kB' : n + ' B')
const over = (v, lim, s) => (Number.isFinite(v) && v > lim ? `**${s}** ⚠` : s)

function report(R) {
  const L = []
  L.push(`Machine / 机器: ${R.machine.nproc} cores, ${R.machine.cpu}; load average at start ${R.machine.load}, at end ${R.loadEnd}.`)
  L.push(`Park / 园区: ${R.park}; serving ${R.startSecs.toFixed(0)} s after the start. Server: \`${R.binary}\` (${R.rev}), ${R.chromium}, node ${process.versions.node}; ${R.date}.`)
  L.push(`Command / 命令: \`${R.command}\``)
  L.push('')
  L.push(`### API: first-render requests (limit ${API_LIMIT_MS} ms) / 首屏接口`)
  L.push('')
  L.push(`Median and max of ${opts.reps} requests after 1 warm-up; cold = the first request of that URL after the server started ` +
    '(in the order listed); bytes = gzip on the wire / JSON. Over the limit in **bold** ⚠.')
  L.push('')
  L.push('| role | pages | endpoint | median ms | max ms | cold ms | bytes |')
  L.push('| --- | --- | --- | ---: | ---: | ---: | ---: |')
  for (const e of R.api) {
    L.push(`| ${e.role} | ${[...e.pages].join(', ')} | \`${e.url.replace(/^\/api\/v1/, '')}\` | ${over(e.median, API_LIMIT_MS, f1(e.median))} | ` +
      `${over(e.max, API_LIMIT_MS, f1(e.max))} | ${over(e.cold, API_LIMIT_MS, f1(e.cold))} | ${kb(e.wire)} / ${kb(e.raw)} |`)
  }
  L.push('')
  L.push(`Login (POST /api/v1/login, the first request after the start): admin ${f1(R.loginMs.admin)} ms, enterprise ${f1(R.loginMs.enterprise)} ms.`)
  if (R.coverage.length) {
    L.push('')
    for (const c of R.coverage) L.push(`- ${c}`)
  }
  L.push('')
  L.push(`### Pages: first render (limit ${PAGE_LIMIT_MS} ms) / 页面首屏`)
  L.push('')
  L.push(`Chromium 1920x1080, page.goto of the page URL; ready = navigation start to [data-testid=page-NAME][data-ready=true]; ` +
    'FCP = First Contentful Paint; assets loaded = end of the last /app/assets/ file (JS, CSS); ' +
    `API done = end of the last API response of the load (all times from navigation start); median of ${opts.loads} loads ` +
    'with the HTTP cache disabled (cold) and with a warm cache; slowest = the API request that took longest in the warm loads.')
  L.push('')
  L.push('| role | page | ready, cold cache ms | ready, warm ms | FCP cold / warm ms | assets loaded cold ms | API done cold / warm ms | API requests | slowest API request (warm, ms) |')
  L.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
  for (const p of R.pages) {
    const m = (xs, k) => median(xs.map((x) => x[k]))
    const rc = m(p.cold, 'ready'), rw = m(p.warm, 'ready')
    const slow = new Map()
    for (const l of p.warm) if (l.slowest) { const k = l.slowest.url; slow.set(k, [...(slow.get(k) || []), l.slowest.ms]) }
    const top = [...slow.entries()].sort((a, b) => b[1].length - a[1].length || median(b[1]) - median(a[1]))[0]
    L.push(`| ${p.role} | ${p.page} | ${over(rc, PAGE_LIMIT_MS, f0(rc))} | ${over(rw, PAGE_LIMIT_MS, f0(rw))} | ${f0(m(p.cold, 'fcp'))} / ${f0(m(p.warm, 'fcp'))} | ` +
      `${f0(m(p.cold, 'assetsEnd'))} | ${f0(m(p.cold, 'apiEnd'))} / ${f0(m(p.warm, 'apiEnd'))} | ${m(p.warm, 'apiCount')} | ${top ? `\`${top[0].replace(/^\/api\/v1/, '')}\` ${f0(median(top[1]))}` : '—'} |`)
  }
  const cacheNote = R.pages.map((p) => `${p.role}/${p.page} ${median(p.cold.map((x) => x.assetsFromCache))}/${median(p.warm.map((x) => x.assetsFromCache))}`)
  L.push('')
  L.push(`Assets from the HTTP cache (cold/warm, of ${R.pages[0]?.warm[0]?.assets ?? 0}): ${cacheNote.join('; ')}.`)
  const flags = []
  for (const e of R.api) if (e.median > API_LIMIT_MS) flags.push(`API ${e.role} ${e.url}: median ${f1(e.median)} ms > ${API_LIMIT_MS} ms`)
  for (const p of R.pages) {
    for (const [k, lab] of [['cold', 'cold cache'], ['warm', 'warm cache']]) {
      const v = median(p[k].map((x) => x.ready))
      if (v > PAGE_LIMIT_MS) flags.push(`page ${p.role}/${p.page} (${lab}): ready in ${f0(v)} ms > ${PAGE_LIMIT_MS} ms`)
    }
  }
  L.push('')
  L.push(flags.length ? 'Over a limit / 超限:\n' + flags.map((f) => '- ' + f).join('\n') : `All medians within the limits / 全部中位数在限值内 (API < ${API_LIMIT_MS} ms, pages < ${PAGE_LIMIT_MS} ms).`)
  return L.join('\n')
}

// ---------------------------------------------------------------- main

const R = { machine: machine(), date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', binary: opts.binary, rev: gitRev() }
R.command = 'node bench/dashboard_bench.mjs ' + process.argv.slice(2).join(' ')
let tmp = null
let server = null
let browser = null
let failed = false
try {
  tmp = mkdtempSync(join(os.tmpdir(), 'zp-dash-bench-'))
  const t0 = Date.now()
  log(`starting zeropark demo (${opts.enterprises || 'default'} enterprises) / 启动演示园区; load average ${R.machine.load}`)
  const extra = ['--web-dir', opts.webDir]
  if (opts.enterprises) extra.push('--enterprises', opts.enterprises)
  if (opts.noLive) extra.push('--no-live')
  server = await startDemo(opts.binary, tmp, extra, 600000)
  R.startSecs = (Date.now() - t0) / 1000
  log(`  demo at ${server.url} after ${R.startSecs.toFixed(1)} s`)
  const accounts = readAccounts(server.accounts)
  for (const r of ['admin', 'enterprise']) if (!accounts[r]) throw new Error(`no ${r} account in ${server.accounts}`)

  // Part 1: cold replays first (admin, then the enterprise user), then the warm figures.
  R.loginMs = {}
  const clients = { admin: apiClient(server.url), enterprise: apiClient(server.url) }
  const recs = { admin: recorder(clients.admin, 'admin'), enterprise: recorder(clients.enterprise, 'enterprise') }
  R.loginMs.admin = await login(clients.admin, accounts.admin)
  await replayAdmin(recs.admin.get)
  R.loginMs.enterprise = await login(clients.enterprise, accounts.enterprise)
  await replayEnterprise(recs.enterprise.get)
  // The park as `zeropark demo` describes it (its lines before "serving").
  const gen = /\((seed \d+, \d+ enterprises, \d+ days from [\d-]+)\)/.exec(server.out)
  const ready = /demo park ready: ([^/]*?) in [\d.]+ s/.exec(server.out)
  const parkOf = () => [ready ? ready[1] : '', gen ? gen[1] : '', /live feed: new readings/.test(server.out) ? 'live feed on' : 'live feed off']
    .filter(Boolean).join('; ')
  R.api = []
  for (const role of ['admin', 'enterprise']) {
    for (const e of recs[role].seen.values()) {
      Object.assign(e, await warm(clients[role], e.url))
      R.api.push(e)
      log(`  ${role} ${e.url}: median ${f1(e.median)} ms, max ${f1(e.max)} ms, cold ${f1(e.cold)} ms, ${kb(e.wire)}`)
    }
  }

  // Part 2: the pages.
  browser = await pw.chromium.launch({ executablePath: opts.chromium, headless: true, args: CHROMIUM_ARGS })
  R.chromium = 'chromium ' + browser.version()
  R.pages = []
  R.coverage = []
  for (const [role, names] of [['admin', ADMIN_PAGES], ['enterprise', ENTERPRISE_PAGES]]) {
    const rows = await benchPages(browser, server.url, accounts[role], role, names)
    if (rows.problems) R.coverage.push(...rows.problems.map((p) => `browser problem (${role}): ${p}`))
    R.pages.push(...rows)
    // Every API request the browser made on a first render must be in part 1; any other is timed now.
    const known = new Set([...recs[role].seen.keys()].map(normal))
    const extra = new Map()
    for (const p of rows) for (const l of [...p.cold, ...p.warm]) for (const u of l.apiUrls) if (!known.has(normal(u))) extra.set(normal(u), p.page)
    for (const [u, pg] of extra) {
      const e = { url: u, role, pages: new Set([pg + ' (seen in the browser only)']), cold: null, order: 0 }
      Object.assign(e, await warm(clients[role], u))
      R.api.push(e)
      R.coverage.push(`${role}: the browser also asked \`${u}\` (${pg}); timed warm only`)
    }
    const asked = new Set(rows.flatMap((p) => [...p.cold, ...p.warm].flatMap((l) => l.apiUrls.map(normal))))
    for (const e of recs[role].seen.values()) {
      if (!asked.has(normal(e.url))) R.coverage.push(`${role}: \`${e.url}\` replayed but not asked by the browser`)
    }
  }
  if (!R.coverage.length) R.coverage.push('The browser asked exactly the URLs replayed above / 浏览器请求与上表一致.')
  clients.admin.close()
  clients.enterprise.close()
  R.loadEnd = machine().load
  R.park = parkOf()
  const md = report(R)
  console.log(md)
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify(R, (k, v) => (v instanceof Set ? [...v] : v), 2))
    log(`raw figures / 原始数据: ${opts.json}`)
  }
} catch (e) {
  failed = true
  console.error('dashboard_bench: ' + (e.stack || e.message))
} finally {
  if (browser) await browser.close()
  await stopDemo(server)
  if (tmp) rmSync(tmp, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
