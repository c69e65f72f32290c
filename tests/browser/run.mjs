#!/usr/bin/env node
// Browser tests of the dashboard / 看板浏览器测试.
//
// Hermetic (what scripts/test.sh runs): starts `zeropark demo` on a temporary database and port 0,
// logs in as every demo account (one per role), opens every page the role may see, checks the
// figures shown against the API, switches language, uploads a CSV, saves screenshots, stops it.
//   node tests/browser/run.mjs --binary build/apps/zeropark/zeropark --web-dir web/dist --out DIR
// Against a running server (development) / 针对已运行的服务:
//   node tests/browser/run.mjs --base http://127.0.0.1:8080 --accounts demo.zpdb.accounts.txt --out DIR
// Filters: --pages overview,import  --roles admin,enterprise
// The demo runs without its live feed (--no-live) so that figures cannot change between the page
// and the API call that checks it (a quarter-hour's readings land at once); --live keeps the feed
// (scripts/test.sh runs the overview once more that way).
// Exit code: 0 passed, 1 failed, 2 usage / environment (no chromium, no playwright-core).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { CHROMIUM_ARGS, Results, chineseLeft, loadPlaywright, openPage, openSession, readAccounts, setLanguage, shotPath, startDemo, stopDemo } from './lib.mjs'
import * as overview from './pages/overview.mjs'
import * as enterprises from './pages/enterprises.mjs'
import * as energy from './pages/energy.mjs'
import * as carbon from './pages/carbon.mjs'
import * as meters from './pages/meters.mjs'
import * as importPage from './pages/import.mjs'
import * as green from './pages/green.mjs'
import * as environment from './pages/environment.mjs'

// Which role sees which page: the policy, written here independently of web/src/router.js.
const PAGES = [
  { mod: overview, roles: ['admin', 'analyst', 'auditor'] },
  { mod: enterprises, roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
  { mod: energy, roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
  { mod: carbon, roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
  { mod: meters, roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
  { mod: importPage, roles: ['admin', 'enterprise'] },
  { mod: green, roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
  { mod: environment, roles: ['admin', 'analyst', 'auditor', 'officer', 'enterprise'] },
]
const ROLES = ['admin', 'analyst', 'officer', 'enterprise', 'auditor', 'device']

function usage(msg) {
  if (msg) console.error(msg)
  console.error('usage / 用法: run.mjs (--binary PATH [--web-dir DIR] [--enterprises N] | --base URL --accounts FILE) --out DIR\n' +
    '       [--app-path /app/] [--chromium /usr/bin/chromium] [--pages a,b] [--roles a,b] [--live]')
  process.exit(2)
}

const opts = { binary: '', webDir: '', enterprises: '30', base: '', accounts: '', out: '', appPath: '/app/', chromium: '/usr/bin/chromium', pages: null, roles: null, live: false }
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]
  const v = () => { if (i + 1 >= argv.length) usage(`missing value for ${a} / 缺少参数值`); return argv[++i] }
  if (a === '--binary') opts.binary = resolve(v())
  else if (a === '--web-dir') opts.webDir = resolve(v())
  else if (a === '--enterprises') opts.enterprises = v()
  else if (a === '--base') opts.base = v().replace(/\/$/, '')
  else if (a === '--accounts') opts.accounts = v()
  else if (a === '--out') opts.out = v()
  else if (a === '--app-path') opts.appPath = v()
  else if (a === '--chromium') opts.chromium = v()
  else if (a === '--pages') opts.pages = v().split(',')
  else if (a === '--roles') opts.roles = v().split(',')
  else if (a === '--live') opts.live = true
  else if (a === '-h' || a === '--help') usage()
  else usage(`unknown argument ${a} / 未知参数`)
}
if (!opts.out || (!opts.binary && !(opts.base && opts.accounts))) usage('--out and either --binary or --base with --accounts are required / 缺少必需参数')

const pw = loadPlaywright()
if (!pw) { console.error('playwright-core is missing: run scripts/web.sh first / 缺少 playwright-core, 请先运行 scripts/web.sh'); process.exit(2) }
if (!existsSync(opts.chromium)) { console.error(`${opts.chromium} not found: apt-get install chromium / 未找到 chromium`); process.exit(2) }

const outDir = resolve(opts.out)
mkdirSync(outDir, { recursive: true })
const results = new Results()
let server = null
let tmp = null
let browser = null
const t0 = Date.now()
try {
  if (opts.binary) {
    tmp = mkdtempSync(join(tmpdir(), 'zp-browser-'))
    console.log(`starting zeropark demo (${opts.enterprises} enterprises) / 启动演示园区`)
    server = await startDemo(opts.binary, tmp, ['--enterprises', opts.enterprises, ...(opts.live ? [] : ['--no-live']), ...(opts.webDir ? ['--web-dir', opts.webDir] : [])])
    opts.base = server.url
    opts.accounts = server.accounts
    console.log(`  demo at ${opts.base} after ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  const accounts = readAccounts(opts.accounts)
  browser = await pw.chromium.launch({ executablePath: opts.chromium, headless: true, args: CHROMIUM_ARGS })

  for (const role of ROLES) {
    if (opts.roles && !opts.roles.includes(role)) continue
    const acct = accounts[role]
    if (!acct) { if (role !== 'device') results.fail(`[${role}] account`, 'not in the accounts file'); continue }
    results.prefix = `[${role}] `
    console.log(`\n${role} (${acct.user})`)
    const s = await openSession(browser, { base: opts.base, appPath: opts.appPath, user: acct.user, password: acct.password, results })
    const { page } = s
    try {
      const me = await s.get('/me')
      results.expectEq('signed in with the right role / 角色正确', me.role, role)
      const shown = await page.locator('[data-nav]').evaluateAll((els) => els.map((e) => e.getAttribute('data-nav')))
      const want = PAGES.filter((p) => p.roles.includes(role)).map((p) => p.mod.name)
      results.expectEq('navigation lists exactly the pages of the role / 导航页面与角色一致', shown.join(','), want.join(','))
      // The role's first page opens after the login; let it finish before anything else.
      if (want.length) await page.waitForSelector('[data-testid^=page-][data-ready=true], [data-testid=error]', { timeout: 30000 })
      if (!want.length) {
        results.expect('a role without pages is told so / 无页面角色有提示', await page.locator('[data-testid=no-role]').count() === 1)
        await page.screenshot({ path: shotPath(outDir, `${role}-no-pages-zh`) })
      }
      for (const p of PAGES) {
        if (!p.roles.includes(role)) continue
        if (opts.pages && !opts.pages.includes(p.mod.name)) continue
        const name = p.mod.name
        const started = Date.now()
        await openPage(page, name)
        if (await page.locator(`[data-testid=page-${name}] [data-testid=error]`).count()) {
          results.fail(`${name}: page shows an error`, await page.locator('[data-testid=error]').first().innerText())
          continue
        }
        results.ok(`${name}: ready in ${Date.now() - started} ms / 页面就绪`)
        const ctx = { page, get: s.get, role, me, results, outDir, base: opts.base, accounts, allowHttpError: s.allowHttpError, shot: (n) => page.screenshot({ path: shotPath(outDir, `${role}-${name}-${n}`), fullPage: true }) }
        await p.mod.check(ctx, 'zh-CN')
        await page.screenshot({ path: shotPath(outDir, `${role}-${name}-zh`), fullPage: true })
        await setLanguage(page, 'en')
        await page.waitForSelector(`[data-testid=page-${name}][data-ready=true]`, { timeout: 30000 })
        await p.mod.check(ctx, 'en')
        const cjk = await chineseLeft(page)
        if (cjk.length) results.fail(`${name} [en]: Chinese interface text left`, cjk.slice(0, 5).join(' | '))
        else results.ok(`${name} [en]: no Chinese interface text / 英文界面无中文`)
        await page.screenshot({ path: shotPath(outDir, `${role}-${name}-en`), fullPage: true })
        await setLanguage(page, 'zh-CN')
      }
      if (await page.locator('[data-testid=logout]').count()) {
        await page.click('[data-testid=logout]')
        await page.waitForSelector('input[name=username]')
        results.ok('logged out / 已退出')
      }
    } catch (e) {
      results.fail('exception', e.stack || e.message)
      try { await page.screenshot({ path: shotPath(outDir, `${role}-exception`), fullPage: true }) } catch { /* closed */ }
    } finally {
      await s.context.close()
    }
  }
} catch (e) {
  results.fail('exception', e.stack || e.message)
} finally {
  if (browser) await browser.close()
  await stopDemo(server)
  if (tmp) rmSync(tmp, { recursive: true, force: true })
}

const secs = ((Date.now() - t0) / 1000).toFixed(1)
console.log(`\nbrowser: ${results.checks.length} checks passed, ${results.problems.length} problems in ${secs} s / 通过 ${results.checks.length} 项, 问题 ${results.problems.length} 项; screenshots / 截图: ${outDir}`)
if (results.problems.length) { results.problems.forEach((p) => console.error('  ' + p)); process.exit(1) }
process.exit(0)
