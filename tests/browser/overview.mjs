#!/usr/bin/env node
// Browser test of the dashboard's login and park overview / 看板登录与园区总览的浏览器测试.
//
//   node tests/browser/overview.mjs --base http://127.0.0.1:4173 --user demo-admin \
//        --out /tmp/shots            # password from ZP_PASSWORD (or --password, visible in ps)
//
// Drives Debian's /usr/bin/chromium with playwright-core (a devDependency of web/). Logs in,
// opens the overview, checks that shown figures equal the API's values in both languages,
// checks the table toggle and the CSV export, switches language, logs out. Fails on any console
// error, page error, failed request, HTTP status >= 400 or request to another origin.
// Exit code: 0 passed, 1 failed, 2 usage / environment.
import { createRequire } from 'node:module'
import { mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const require = createRequire(new URL('../../web/package.json', import.meta.url))

function usage(msg) {
  if (msg) console.error(msg)
  console.error('usage / 用法: overview.mjs --base URL --user NAME --out DIR [--password PW] [--app-path /app/] [--chromium /usr/bin/chromium]\n' +
    '  the password may come from the environment variable ZP_PASSWORD / 密码可由环境变量 ZP_PASSWORD 提供')
  process.exit(2)
}

const opts = { base: '', user: '', password: process.env.ZP_PASSWORD || '', out: '', appPath: '/app/', chromium: '/usr/bin/chromium' }
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]
  const v = () => { if (i + 1 >= argv.length) usage(`missing value for ${a} / 缺少参数值`); return argv[++i] }
  if (a === '--base') opts.base = v().replace(/\/$/, '')
  else if (a === '--user') opts.user = v()
  else if (a === '--password') opts.password = v()
  else if (a === '--out') opts.out = v()
  else if (a === '--app-path') opts.appPath = v()
  else if (a === '--chromium') opts.chromium = v()
  else if (a === '-h' || a === '--help') usage()
  else usage(`unknown argument ${a} / 未知参数`)
}
if (!opts.base || !opts.user || !opts.password || !opts.out) usage('--base, --user, --out and a password are required / 缺少必需参数')

let chromium
try {
  ({ chromium } = require('playwright-core'))
} catch {
  console.error('playwright-core is missing: run scripts/web.sh first / 缺少 playwright-core, 请先运行 scripts/web.sh')
  process.exit(2)
}

const outDir = resolve(opts.out)
mkdirSync(outDir, { recursive: true })
const origin = new URL(opts.base).origin
const problems = []
const checks = []
function ok(name) { checks.push(name); console.log(`  ok   ${name}`) }
function fail(name, detail) { problems.push(`${name}: ${detail}`); console.log(`  FAIL ${name}: ${detail}`) }
function expectEq(name, got, want) { if (got === want) ok(name); else fail(name, `shown ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`) }

const fmt1 = (loc, v) => new Intl.NumberFormat(loc, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v)
const fmt3 = (loc, v) => new Intl.NumberFormat(loc, { minimumFractionDigits: 3, maximumFractionDigits: 3 }).format(v)

const browser = await chromium.launch({
  executablePath: opts.chromium,
  headless: true,
  args: [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    // no traffic of the browser's own / 关闭浏览器自身的联网功能
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-domain-reliability', '--disable-client-side-phishing-detection',
    '--disable-breakpad', '--no-first-run', '--no-default-browser-check', '--metrics-recording-only',
    '--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,' +
      'CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,NetworkTimeServiceQuerying,SafeBrowsing',
  ],
})

let exitCode = 1
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN', acceptDownloads: true, timezoneId: 'Asia/Shanghai' })
  const page = await context.newPage()
  // Nothing may leave the server's origin / 不允许访问其他来源.
  await context.route('**/*', (route) => {
    const u = route.request().url()
    if (u.startsWith('data:') || u.startsWith('blob:') || new URL(u).origin === origin) return route.continue()
    fail('request to another origin', u)
    return route.abort()
  })
  page.on('console', (m) => { if (m.type() === 'error') fail('console error', m.text()) })
  page.on('pageerror', (e) => fail('page error', e.message))
  page.on('requestfailed', (r) => {
    if (r.url().startsWith('blob:')) return // the CSV download's object URL is revoked after the click
    fail('request failed', `${r.method()} ${r.url()} ${r.failure()?.errorText}`)
  })
  page.on('response', (r) => { if (r.status() >= 400) fail('HTTP error', `${r.status()} ${r.request().method()} ${r.url()}`) })

  const app = opts.base + opts.appPath
  console.log(`dashboard / 看板: ${app}`)
  await page.goto(app)
  await page.waitForSelector('input[name=username]', { timeout: 15000 })
  expectEq('login page is Chinese by default / 默认中文', await page.locator('.login h2').textContent(), '登录')
  await page.screenshot({ path: join(outDir, '01-login-zh.png') })

  await page.fill('input[name=username]', opts.user)
  await page.fill('input[name=password]', opts.password)
  await page.click('[data-testid=login-submit]')
  await page.waitForSelector('[data-testid=kpi-energy] .kpi-value, [data-testid=not-built], [data-testid=no-role]', { timeout: 30000 })

  // The API's values, through the same session / 通过同一会话取接口数值.
  const get = async (path) => {
    const r = await page.request.get(opts.base + '/api/v1' + path)
    if (!r.ok()) throw new Error(`GET ${path}: HTTP ${r.status()}`)
    return r.json()
  }
  const role = (await get('/me')).role
  if (!['admin', 'analyst', 'auditor'].includes(role)) {
    // Roles without park-wide reading get no overview / 非园区级角色不显示总览.
    expectEq(`[${role}] no overview in the navigation / 导航中无总览`, await page.locator('[data-nav=overview]').count(), 0)
    await page.screenshot({ path: join(outDir, `02-${role}-zh.png`), fullPage: true })
    await page.click('[data-testid=lang]')
    await page.waitForFunction(() => document.documentElement.lang === 'en')
    await page.screenshot({ path: join(outDir, `03-${role}-en.png`), fullPage: true })
    await page.click('[data-testid=lang]')
    if (await page.locator('[data-testid=logout]').count()) {
      await page.click('[data-testid=logout]')
      await page.waitForSelector('input[name=username]')
      ok('logged out / 已退出')
    }
    throw { done: true }
  }
  ok('logged in, overview shown / 登录后显示总览')
  if (!page.url().endsWith(opts.appPath + 'overview')) fail('overview URL', page.url())
  const year = Number(String((await get('/energy?by=carrier')).from).slice(0, 4))
  const core = await get(`/carbon/core?year=${year}`)
  const ent = await get(`/energy?by=enterprise&year=${year}`)
  const top = ent.rows.filter((r) => r.group !== 'PARK').sort((a, b) => b.tce.equivalent - a.tce.equivalent)[0]

  const kpi = (id) => page.locator(`[data-testid=${id}] .kpi-value`)
  async function checkFigures(loc) {
    expectEq(`[${loc}] year in title / 标题年份`, (await page.locator('[data-testid=overview-title]').textContent()).includes(String(year)), true)
    expectEq(`[${loc}] energy tce = /carbon/core tce.equivalent`, (await kpi('kpi-energy').textContent()).trim(), fmt1(loc, core.tce.equivalent))
    expectEq(`[${loc}] carbon tCO2 = /carbon/core tco2.location`, (await kpi('kpi-carbon').textContent()).trim(), fmt1(loc, core.tco2.location))
    expectEq(`[${loc}] tCO2/tce = /carbon/core`, (await kpi('kpi-intensity').textContent()).trim(), fmt3(loc, core.tco2_per_tce.location.equivalent))
    const dv = Number(await kpi('kpi-energy').getAttribute('data-value'))
    expectEq(`[${loc}] energy data-value exact`, dv, core.tce.equivalent)
  }
  await checkFigures('zh-CN')
  await page.screenshot({ path: join(outDir, '02-overview-zh.png'), fullPage: true })

  // The chart's table and its CSV / 图表对应的数据表与 CSV.
  const panel = page.locator('[data-testid=panel-top]')
  await panel.locator('[data-role=show-table]').click()
  const firstRow = panel.locator('tbody tr').first()
  expectEq('top consumer #1 code = API', (await firstRow.locator('td').nth(2).textContent()).trim(), top.group)
  expectEq('top consumer #1 tce = API', (await firstRow.locator('td').nth(3).textContent()).trim(), fmt1('zh-CN', top.tce.equivalent))
  expectEq('top table has at most 10 rows', (await panel.locator('tbody tr').count()) <= 10, true)
  const [download] = await Promise.all([page.waitForEvent('download'), panel.locator('[data-role=export-csv]').click()])
  const csv = readFileSync(await download.path(), 'utf8')
  const lines = csv.replace(/^\ufeff/, '').trim().split(/\r\n/)
  expectEq('CSV has a BOM / CSV 带 BOM', csv.charCodeAt(0), 0xfeff)
  expectEq('CSV header is Chinese / CSV 表头为中文', lines[0].split(',')[1], '企业')
  expectEq('CSV row 1 tce is the raw API number', Number(lines[1].split(',')[3]), top.tce.equivalent)
  await page.screenshot({ path: join(outDir, '03-overview-table-zh.png'), fullPage: true })
  await panel.locator('[data-role=show-chart]').click()

  // Switch language / 切换语言.
  await page.click('[data-testid=lang]')
  await page.waitForFunction(() => document.documentElement.lang === 'en')
  expectEq('[en] title', (await page.locator('[data-testid=overview-title]').textContent()).trim(), `Park overview · ${year}`)
  expectEq('[en] nav', (await page.locator('[data-nav=overview]').textContent()).trim(), 'Park overview')
  await checkFigures('en')
  const cjk = await page.evaluate(() => {
    // Visible text outside API-supplied names and cited sources must be English / 界面文字须为英文.
    const skip = (el) => el.closest('details, tbody, .who, [data-testid=lang]')
    const out = []
    const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    while (w.nextNode()) {
      const n = w.currentNode
      if (/[\u4e00-\u9fff]/.test(n.textContent) && !skip(n.parentElement)) out.push(n.textContent.trim())
    }
    return out
  })
  if (cjk.length) fail('[en] Chinese text left in the English page', cjk.slice(0, 5).join(' | '))
  else ok('[en] no Chinese interface text / 英文界面无中文')
  await page.screenshot({ path: join(outDir, '04-overview-en.png'), fullPage: true })

  await page.click('[data-testid=lang]')
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN')
  await page.click('[data-testid=logout]')
  await page.waitForSelector('input[name=username]')
  ok('logged out / 已退出')
  await page.screenshot({ path: join(outDir, '05-logged-out.png') })
  exitCode = problems.length ? 1 : 0
} catch (e) {
  if (e && e.done) exitCode = problems.length ? 1 : 0
  else fail('exception', e.stack || e.message)
} finally {
  await browser.close()
}

console.log(`\n${checks.length} checks passed, ${problems.length} problems / 通过 ${checks.length} 项, 问题 ${problems.length} 项; screenshots / 截图: ${outDir}`)
if (problems.length) { problems.forEach((p) => console.error('  ' + p)); process.exit(1) }
process.exit(exitCode)
