// Green power / 绿电溯源. Every figure shown is compared with the API's, formatted as the page
// formats it, in both languages:
// - hourly matching (/api/v1/green/matching of the period and subject shown): KPIs, the supply vs
//   demand table (complete hours only: the hour in progress is left out), the heat map's first day;
//   the period picker (a month range, then back to the last 7 days) and the subject selector; the
//   statement link of an enterprise (its months are unsettled: the page says so);
// - certificates browser (/api/v1/green/certificates): total, Wh by status, rows (hour, device,
//   Wh as kWh/MWh, status in the language, ledger seq), paging, the status / device / date filters;
//   enterprise users see only bundles held or claimed by their enterprise;
// - statements (/api/v1/green/statements): summary, by source, months (settled or not), hours
//   (collapsed, first 48, "show all"), products, ledger head; "Download JSON" saves the API's JSON;
//   the print view (print media, A4 PDF) has no navigation and no buttons; enterprise users cannot
//   open another enterprise's statement;
// - settlements (admin only; other roles have no such tab): the settled months equal the API's; when
//   none is settled yet (the demo settles the last two ended months at startup) the admin settles
//   the last ended month through the page; settling a settled month shows the 409 as a message.
// The demo's live feed may move today's totals between the page's request and ours: on a
// difference the page is refreshed (its refresh button) and compared again with a new answer.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chineseLeft, fmt, fmtPct } from '../lib.mjs'

export const name = 'green'

const root = '[data-testid=page-green]'
const STATUS = {
  active: ['有效', 'Active'], transferred: ['已转让', 'Transferred'], allocated: ['已分配', 'Allocated'],
  claimed: ['已声明注销', 'Claimed (cancelled)'], expired: ['已过期', 'Expired'], withdrawn: ['已撤回', 'Withdrawn'],
}
const statusText = (loc, s) => (STATUS[s] ? STATUS[s][loc === 'en' ? 1 : 0] : s)
const fmtWh = (loc, wh) => (Math.abs(wh) >= 1e6 ? `${fmt(loc, wh / 1e6, 3)} MWh` : `${fmt(loc, wh / 1e3, 3)} kWh`)
const text = async (loc) => (await loc.textContent()).trim()
const addDays = (day, n) => new Date(Date.UTC(+day.slice(0, 4), +day.slice(5, 7) - 1, +day.slice(8, 10) + n)).toISOString().slice(0, 10)
const monthOf = (d, back) => new Date(Date.UTC(d.getFullYear(), d.getMonth() - back, 1)).toISOString().slice(0, 7)
const nextMonth = (ym) => (+ym.slice(5, 7) === 12 ? `${+ym.slice(0, 4) + 1}-01` : `${ym.slice(0, 4)}-${String(+ym.slice(5, 7) + 1).padStart(2, '0')}`)

async function ready(page, view, timeout = 60000) {
  await page.waitForSelector(`${root}[data-ready=true][data-view=${view}]`, { timeout })
}
async function tab(page, view) {
  await page.click(`[data-testid=green-tab-${view}]`)
  await ready(page, view)
}
async function noChinese(ctx, loc, what) {
  if (loc !== 'en') return
  const left = await chineseLeft(ctx.page)
  if (left.length) ctx.results.fail(`green [en] ${what}: Chinese interface text left`, left.slice(0, 5).join(' | '))
  else ctx.results.ok(`green [en] ${what}: no Chinese interface text / 英文界面无中文`)
}
// The scope of the role: park-wide, or the enterprise codes it may see.
async function scope(ctx) {
  const parkWide = ['admin', 'analyst', 'auditor'].includes(ctx.role)
  if (!ctx.greenEnts) ctx.greenEnts = (await ctx.get('/enterprises?limit=100000')).enterprises.map((e) => e.code).sort()
  return { parkWide, ents: ctx.greenEnts, own: ctx.role === 'enterprise' ? ctx.me.enterprise_code : '' }
}

// ---- hourly matching ------------------------------------------------------------------------
const matching = '[data-testid=green-matching]'
async function waitMatching(page, attrs) {
  const sel = Object.entries(attrs).map(([k, v]) => `[data-${k}="${v}"]`).join('')
  await page.waitForSelector(`${root}[data-ready=true] ${matching}${sel}`, { timeout: 60000 })
}

async function compareMatching(ctx, loc, label) {
  const { page, get, results: r } = ctx
  const m = page.locator(matching)
  const subject = await m.getAttribute('data-subject')
  const from = await m.getAttribute('data-from')
  const to = await m.getAttribute('data-to')
  const path = `/green/matching?from=${from}&to=${to}&hours=true${subject ? `&enterprise=${subject}` : ''}`
  const kpis = [['kpi-hourly', 'hourly_share', (v) => fmtPct(loc, v, 2)], ['kpi-annual', 'annual_share', (v) => fmtPct(loc, v, 2)],
    ['kpi-matched', 'matched_kwh', (v) => fmt(loc, v, 1)], ['kpi-residual', 'residual_kwh', (v) => fmt(loc, v, 1)]]
  let api = null
  let fig = null
  for (let attempt = 0; attempt < 3; attempt++) {
    api = await get(path)
    fig = subject ? api.enterprises.find((e) => e.code === subject) : api.park
    if (!fig) break
    const shown = await Promise.all(kpis.map(([id]) => page.locator(`[data-testid=${id}] .kpi-value`).getAttribute('data-value')))
    if (kpis.every(([, key], i) => Number(shown[i]) === fig[key])) break
    await page.click('[data-testid=green-refresh]')
    await waitMatching(page, { subject, from, to })
  }
  r.expect(`green [${loc}] ${label}: the API has the subject's figures / 有对象数据`, !!fig, `subject ${subject}`)
  if (!fig) return null
  r.expect(`green [${loc}] ${label}: restricted roles get no park block / 受限角色无园区数据`,
    ['officer', 'enterprise'].includes(ctx.role) ? api.park === undefined : api.park !== undefined)
  for (const [id, key, f] of kpis) {
    const v = page.locator(`[data-testid=${id}] .kpi-value`)
    r.expectEq(`green [${loc}] ${label}: ${id} data-value = API ${key}`, Number(await v.getAttribute('data-value')), fig[key])
    r.expectEq(`green [${loc}] ${label}: ${id} shown = API ${key}`, await text(v), f(fig[key]))
  }

  // Supply vs demand by hour: complete hours only (the hour in progress and later ones are left out).
  const hidden = (await page.locator('[data-testid=green-hidden-hours]').count())
    ? Number(await page.locator('[data-testid=green-hidden-hours]').getAttribute('data-value')) : 0
  const supply = page.locator('[data-testid=panel-supply]')
  await supply.locator('[data-role=show-table]').click()
  const rows = await supply.locator('tbody tr').count()
  r.expectEq(`green [${loc}] ${label}: hourly rows + hidden = API hours`, rows + hidden, api.hours.length)
  const now = Date.now()
  if (api.hours.length && typeof api.hours[0].complete === 'boolean') {
    r.expectEq(`green [${loc}] ${label}: hourly rows = the API's complete hours`, rows, api.hours.filter((h) => h.complete).length)
  }
  if (rows) {
    const lastShown = api.hours[rows - 1]
    r.expect(`green [${loc}] ${label}: the last hour shown has ended / 只显示已结束的小时`, Date.parse(lastShown.hour) + 3600e3 <= now, lastShown.hour)
  }
  if (hidden) {
    const firstHidden = api.hours[rows]
    r.expect(`green [${loc}] ${label}: the first hour left out had not ended / 进行中的小时未显示`,
      Date.parse(firstHidden.hour) + 3600e3 > now - 10 * 60e3, firstHidden.hour)
  }
  const h0 = api.hours[0]
  if (rows) {
    const cells = supply.locator('tbody tr').first().locator('td')
    r.expect(`green [${loc}] ${label}: hourly row 1 hour`, (await cells.nth(0).textContent()).includes(h0.hour.slice(11, 16)))
    const keys = ['consumption_kwh', 'generation_kwh', 'matched_kwh', 'residual_kwh']
    for (let i = 0; i < keys.length; i++) {
      r.expectEq(`green [${loc}] ${label}: hourly row 1 ${keys[i]} = API`, await text(cells.nth(i + 1)), fmt(loc, h0[keys[i]], 1))
    }
  }
  await supply.locator('[data-role=show-chart]').click()

  // Heat map: first day, hours 00..23 = matched / consumption (— when nothing was consumed).
  const heat = page.locator('[data-testid=panel-heatmap]')
  await heat.locator('[data-role=show-table]').click()
  const complete = api.hours.slice(0, rows)
  const days = new Set(complete.map((h) => h.hour.slice(0, 10)))
  r.expectEq(`green [${loc}] ${label}: heat map rows = days with complete hours`, await heat.locator('tbody tr').count(), days.size)
  if (rows) {
    const hc = heat.locator('tbody tr').first().locator('td')
    const firstDay = complete.filter((h) => h.hour.slice(0, 10) === h0.hour.slice(0, 10))
    const want = firstDay.map((h) => fmtPct(loc, h.consumption_kwh > 0 ? h.matched_kwh / h.consumption_kwh : null, 1))
    const got = []
    for (let i = 0; i < firstDay.length; i++) got.push(await text(hc.nth(1 + Number(firstDay[i].hour.slice(11, 13)))))
    r.expectEq(`green [${loc}] ${label}: heat map day 1 = matched/consumption`, got.join(' '), want.join(' '))
  }
  await heat.locator('[data-role=show-chart]').click()
  return api
}

async function checkMatching(ctx, loc) {
  const { page, results: r, role, shot } = ctx
  const { parkWide } = await scope(ctx)
  const start = await page.locator(matching).getAttribute('data-subject')
  r.expect(`green [${loc}]: default subject (park for park-wide roles) / 默认对象`, parkWide ? start === '' : start !== '', start)
  const api = await compareMatching(ctx, loc, parkWide ? 'park' : start)
  await noChinese(ctx, loc, 'matching')
  if (loc !== 'zh-CN' || !api) return

  // Period picker: one month (the last ended one), then back to the last 7 days.
  const m = page.locator(matching)
  const from0 = await m.getAttribute('data-from')
  const to0 = await m.getAttribute('data-to')
  r.expectEq('green: default period = 7 days / 默认 7 天', addDays(to0, -7), from0)
  const month = monthOf(new Date(), 1)
  await page.selectOption('[data-testid=green-period-mode]', 'months')
  await page.fill('[data-testid=green-period-from]', month)
  await page.fill('[data-testid=green-period-to]', month)
  await waitMatching(page, { subject: start, from: `${month}-01`, to: `${nextMonth(month)}-01` })
  r.ok(`green: period picker: month ${month} / 按月选择`)
  await compareMatching(ctx, loc, `month ${month}`)
  await shot('month')
  await page.fill('[data-testid=green-period-to]', monthOf(new Date(), 14))
  r.expect('green: period picker refuses a last month before the first / 起止颠倒提示',
    (await page.locator('[data-testid=green-period-problem]').count()) === 1)
  await page.selectOption('[data-testid=green-period-mode]', 'days')
  await waitMatching(page, { subject: start, from: from0, to: to0 })
  r.ok('green: period picker back to the last 7 days / 恢复最近 7 天')

  const select = page.locator('[data-testid=green-subject]')
  const values = await select.locator('option').evaluateAll((os) => os.map((o) => o.value))
  if (parkWide) {
    r.expectEq('green: the selector has the park and every enterprise / 全园区与全部企业', values.length, api.enterprises.length + 1)
    const rows = page.locator('[data-testid=green-enterprises] tbody tr')
    r.expectEq('green: enterprise table rows = API enterprises', await rows.count(), api.enterprises.length)
    const top = [...api.enterprises].sort((a, b) => b.consumption_kwh - a.consumption_kwh)[0]
    const c = rows.first().locator('td')
    r.expectEq('green: enterprise table #1 (by consumption) code', await text(c.nth(1)), top.code)
    r.expectEq('green: enterprise table #1 hourly share', await text(c.nth(5)), fmtPct(loc, top.hourly_share, 2))
    r.expectEq('green: enterprise table #1 annual share', await text(c.nth(6)), fmtPct(loc, top.annual_share, 2))
    const link = rows.first().locator('a[data-role=statement]')
    const href = await link.getAttribute('href')
    r.expect('green: an enterprise row links to its statement / 企业行链接到声明',
      href.includes('/green/statement?') && href.includes(`enterprise=${top.code}`) && href.includes(`from=${from0.slice(0, 7)}`), href)
  } else {
    r.expect('green: restricted selector has no park option / 无全园区选项', !values.includes(''), values.join(','))
    r.expect(`green: ${role} sees only its enterprises / 仅本企业`, values.every((v) => ctx.greenEnts.includes(v)), values.join(','))
  }
  const other = values.find((v) => v !== start)
  if (other !== undefined) {
    await select.selectOption(other)
    await waitMatching(page, { subject: other })
    r.ok(`green: subject switched to ${other || 'park'} / 切换对象`)
    await compareMatching(ctx, loc, other || 'park')
    await shot('subject')
    if (parkWide) {
      // A row of the enterprise table opens that enterprise too.
      const row = page.locator('[data-testid=green-enterprises] tbody tr').nth(1)
      const code = await text(row.locator('td').nth(1))
      await row.click()
      await waitMatching(page, { subject: code })
      r.expectEq('green: enterprise row click selects it / 点击企业行', await select.inputValue(), code)
    }
    await select.selectOption(start)
    await waitMatching(page, { subject: start })
  }

  // The statement of the period shown (this month: not settled, and the page says so).
  const link = parkWide ? page.locator('[data-testid=green-enterprises] tbody tr a[data-role=statement]').first()
    : page.locator('[data-testid=green-subject-statement]')
  await link.click()
  await ready(page, 'statement')
  const url = new URL(page.url())
  const st = await ctx.get(`/green/statements?${url.searchParams.toString()}`)
  r.expect('green: statement of the current period opens / 打开当期声明', st.unsettled_months.length > 0, st.unsettled_months.join(','))
  const banner = page.locator('[data-testid=green-st-unsettled]')
  r.expectEq('green: unsettled months are named on the statement / 未结算月份', await banner.count() ? await banner.getAttribute('data-value') : '', st.unsettled_months.join(','))
  r.expect('green: the banner says 未结算 / 提示未结算', (await banner.textContent()).includes('未结算'))
  await page.goBack()
  await ready(page, 'matching')
}

// ---- certificates ----------------------------------------------------------------------------
async function certRows(page) {
  return page.locator('[data-testid=green-cert-table] tbody tr')
}
async function waitCerts(page, attrs) {
  const sel = Object.entries(attrs).map(([k, v]) => `[data-${k}="${v}"]`).join('')
  await page.waitForSelector(`${root}[data-ready=true] [data-testid=green-certificates]${sel}`, { timeout: 60000 })
}
function certQuery(p) {
  return '/green/certificates?' + new URLSearchParams(Object.entries(p).filter(([, v]) => v !== '' && v !== undefined)).toString()
}

async function compareCerts(ctx, loc, label, params) {
  const { page, get, results: r } = ctx
  const api = await get(certQuery({ limit: 50, offset: 0, ...params }))
  const box = page.locator('[data-testid=green-certificates]')
  r.expectEq(`green [${loc}] certificates ${label}: total = API`, Number(await box.getAttribute('data-total')), api.total)
  const first = api.certificates.length ? (params.offset || 0) + 1 : 0
  const last = (params.offset || 0) + api.certificates.length
  const range = loc === 'en' ? `Bundles ${fmt(loc, first, 0)}–${fmt(loc, last, 0)} of ${fmt(loc, api.total, 0)}`
    : `第 ${fmt(loc, first, 0)}–${fmt(loc, last, 0)} 笔，共 ${fmt(loc, api.total, 0)} 笔`
  r.expectEq(`green [${loc}] certificates ${label}: range shown`, await text(page.locator('[data-testid=green-cert-range]')), range)
  // Wh by status (of everything matched).
  let sum = 0
  for (const [s, wh] of Object.entries(api.wh_by_status || {})) {
    sum += wh
    const chip = page.locator(`[data-testid=green-cert-totals] [data-status=${s}]`)
    r.expectEq(`green [${loc}] certificates ${label}: ${s} Wh shown`, await text(chip.locator('.gr-wh')), fmtWh(loc, wh))
    r.expectEq(`green [${loc}] certificates ${label}: ${s} label`, await text(chip.locator('.muted')), statusText(loc, s))
  }
  r.expectEq(`green [${loc}] certificates ${label}: total Wh shown`, await text(page.locator('[data-testid=green-cert-totals] [data-status=total] .gr-wh')), fmtWh(loc, sum))
  const rows = await certRows(page)
  r.expectEq(`green [${loc}] certificates ${label}: rows = API`, await rows.count(), api.certificates.length)
  for (let i = 0; i < Math.min(3, api.certificates.length); i++) {
    const c = api.certificates[i]
    const td = rows.nth(i).locator('td')
    r.expectEq(`green [${loc}] certificates ${label}: row ${i + 1} issuance`, await rows.nth(i).getAttribute('data-issuance'), String(c.issuance_id))
    r.expectEq(`green [${loc}] certificates ${label}: row ${i + 1} hour`, await td.nth(0).getAttribute('data-value'), c.production_hour)
    r.expectEq(`green [${loc}] certificates ${label}: row ${i + 1} device`, await text(td.nth(1)), c.device)
    r.expectEq(`green [${loc}] certificates ${label}: row ${i + 1} Wh range`, await text(td.nth(4)), `${fmt(loc, c.from_wh, 0)} – ${fmt(loc, c.to_wh, 0)}`)
    r.expectEq(`green [${loc}] certificates ${label}: row ${i + 1} energy`, await text(td.nth(5)), fmtWh(loc, c.wh))
    r.expectEq(`green [${loc}] certificates ${label}: row ${i + 1} status`, await text(td.nth(6)), statusText(loc, c.status))
    r.expectEq(`green [${loc}] certificates ${label}: row ${i + 1} ledger seq`, await text(td.nth(9)), fmt(loc, c.ledger_seq, 0))
  }
  return api
}

async function checkCertificates(ctx, loc) {
  const { page, results: r, role, shot } = ctx
  const { parkWide, own } = await scope(ctx)
  await tab(page, 'certificates')
  const ent = await page.locator('[data-testid=green-cert-enterprise]').inputValue()
  r.expectEq(`green [${loc}] certificates: enterprise filter starts at all (in scope) / 企业筛选默认全部`, ent, '')
  const base = ent ? { enterprise: ent } : {}
  const api = await compareCerts(ctx, loc, 'first page', base)
  if (!parkWide) {
    // Restricted roles: the server names their enterprises; the page offers only those.
    const mine = own ? [own] : ctx.greenEnts
    const all = await ctx.get(certQuery({ limit: 1000, offset: 0 }))
    r.expect(`green: ${role} gets only bundles of its enterprises / 仅本企业绿证`,
      all.certificates.every((c) => mine.includes(c.account) || mine.includes(c.consumer)), `${all.total}`)
    const shown = await (await certRows(page)).evaluateAll((trs) => trs.map((tr) => [tr.children[7].textContent.trim(), tr.children[8].textContent.trim()]))
    r.expect(`green: ${role} is shown only bundles of its enterprises / 页面仅本企业绿证`,
      shown.every(([a, c]) => mine.includes(a) || mine.includes(c)), JSON.stringify(shown.slice(0, 3)))
    const opts = await page.locator('[data-testid=green-cert-enterprise] option').evaluateAll((os) => os.map((o) => o.value))
    r.expectEq(`green: ${role} can choose only its enterprises / 仅可选本企业`, opts.join(','), ['', ...mine].join(','))
  }
  await noChinese(ctx, loc, 'certificates')
  if (loc !== 'zh-CN' || !api.total) return

  // Paging.
  if (api.total > 50) {
    await page.click('[data-testid=green-cert-next]')
    await waitCerts(page, { offset: 50 })
    await compareCerts(ctx, loc, 'page 2', { ...base, offset: 50 })
    await page.click('[data-testid=green-cert-prev]')
    await waitCerts(page, { offset: 0 })
    r.ok('green: certificates paging back / 翻页返回')
  }
  await page.selectOption('[data-testid=green-cert-limit]', '20')
  await waitCerts(page, { limit: 20 })
  r.expectEq('green: certificates page size 20 / 每页 20', await (await certRows(page)).count(), Math.min(20, api.total))
  await page.selectOption('[data-testid=green-cert-limit]', '50')
  await waitCerts(page, { limit: 50 })

  // Filters: status, device, production date.
  await page.selectOption('[data-testid=green-cert-status]', 'claimed')
  await page.waitForSelector(`${root}[data-ready=true]`)
  await waitCerts(page, { offset: 0 })
  const claimed = await compareCerts(ctx, loc, 'status claimed', { ...base, status: 'claimed' })
  const shownStatuses = await (await certRows(page)).evaluateAll((trs) => trs.map((tr) => tr.children[6].getAttribute('data-value')))
  r.expect('green: status filter shows claimed bundles only / 状态筛选', shownStatuses.every((s) => s === 'claimed'), shownStatuses.join(','))
  const pick = (claimed.certificates[0] || api.certificates[0])
  const device = pick.device
  const day = pick.production_hour.slice(0, 10)
  await page.fill('[data-testid=green-cert-device]', device)
  await page.press('[data-testid=green-cert-device]', 'Enter')
  await page.waitForFunction((d) => document.querySelector('[data-testid=green-cert-table] tbody tr td:nth-child(2)')?.textContent.trim() === d
    && document.querySelector('[data-testid=page-green]').dataset.ready === 'true', device, { timeout: 60000 })
  await compareCerts(ctx, loc, `device ${device}`, { ...base, status: 'claimed', device })
  await page.fill('[data-testid=green-cert-from]', day)
  await page.fill('[data-testid=green-cert-to]', day)
  await page.waitForFunction((d) => [...document.querySelectorAll('[data-testid=green-cert-table] tbody tr td:first-child')].every((td) => td.dataset.value.startsWith(d))
    && document.querySelector('[data-testid=page-green]').dataset.ready === 'true', day, { timeout: 60000 })
  const dated = await compareCerts(ctx, loc, `day ${day}`, { ...base, status: 'claimed', device, from: day, to: addDays(day, 1) })
  r.expect('green: date filter keeps that day only / 日期筛选', dated.total > 0 && dated.certificates.every((c) => c.production_hour.startsWith(day)), `${dated.total}`)
  await shot('certificates-filtered')
  await page.click('[data-testid=green-cert-reset]')
  await waitCerts(page, { total: api.total })
  r.ok('green: certificates filters reset / 重置筛选')
}

// ---- statements ------------------------------------------------------------------------------
async function compareStatement(ctx, loc, params) {
  const { page, get, results: r } = ctx
  const api = await get(`/green/statements?${new URLSearchParams(params).toString()}`)
  const st = page.locator('[data-testid=green-statement]')
  const label = `statement ${params.enterprise} ${params.from}..${params.to}`
  r.expectEq(`green [${loc}] ${label}: enterprise`, await st.getAttribute('data-enterprise'), api.enterprise.code)
  const title = await text(page.locator('[data-testid=green-statement] h2'))
  r.expectEq(`green [${loc}] ${label}: title in the language`, title, loc === 'en' ? 'Green electricity consumption statement' : '绿色电力消费声明')
  const s = api.summary
  for (const [key, f] of [['consumption_kwh', (v) => fmt(loc, v, 1)], ['claimed_kwh', (v) => fmt(loc, v, 1)], ['residual_kwh', (v) => fmt(loc, v, 1)],
    ['hourly_share', (v) => fmtPct(loc, v, 2)], ['annual_share', (v) => fmtPct(loc, v, 2)]]) {
    const v = page.locator(`[data-testid=green-st-summary] [data-key=${key}] .kpi-value`)
    r.expectEq(`green [${loc}] ${label}: summary ${key}`, await text(v), f(s[key]))
    r.expectEq(`green [${loc}] ${label}: summary ${key} exact`, Number(await v.getAttribute('data-value')), s[key])
  }
  const src = page.locator('[data-testid=green-st-sources] tbody tr')
  r.expectEq(`green [${loc}] ${label}: sources = API`, await src.count(), s.by_source.length)
  if (s.by_source.length) {
    r.expectEq(`green [${loc}] ${label}: source 1 device`, await text(src.first().locator('td').nth(0)), s.by_source[0].device)
    r.expectEq(`green [${loc}] ${label}: source 1 kWh`, await text(src.first().locator('td').nth(2)), fmt(loc, s.by_source[0].kwh, 1))
  }
  const months = page.locator('[data-testid=green-st-months] tbody tr')
  r.expectEq(`green [${loc}] ${label}: months = API`, await months.count(), api.months.length)
  for (let i = 0; i < api.months.length; i++) {
    const mo = api.months[i]
    const td = months.nth(i).locator('td')
    const settled = api.settled_months.includes(mo.month)
    r.expectEq(`green [${loc}] ${label}: ${mo.month} state`, await text(td.nth(1)), settled ? (loc === 'en' ? 'Settled' : '已结算') : (loc === 'en' ? 'Not settled' : '未结算'))
    if (settled) {
      r.expectEq(`green [${loc}] ${label}: ${mo.month} consumption`, await text(td.nth(2)), fmt(loc, mo.consumption_kwh, 1))
      r.expectEq(`green [${loc}] ${label}: ${mo.month} claimed`, await text(td.nth(3)), fmt(loc, mo.claimed_kwh, 1))
      r.expectEq(`green [${loc}] ${label}: ${mo.month} GEC bundled`, await text(td.nth(4)), fmt(loc, mo.gec_bundled_mwh, 3))
      r.expectEq(`green [${loc}] ${label}: ${mo.month} GEC shortfall`, await text(td.nth(6)), fmt(loc, mo.gec_shortfall_mwh, 3))
    }
  }
  const banner = page.locator('[data-testid=green-st-unsettled]')
  r.expectEq(`green [${loc}] ${label}: unsettled banner = API`, (await banner.count()) ? await banner.getAttribute('data-value') : '', api.unsettled_months.join(','))
  r.expectEq(`green [${loc}] ${label}: ledger head`, await text(page.locator('[data-testid=green-st-head]')), api.ledger_head || (loc === 'en' ? '—' : '—'))

  // Hours: collapsed, then the first 48 with their certificates.
  const hours = page.locator('[data-testid=green-st-hours]')
  r.expectEq(`green [${loc}] ${label}: hour count`, Number(await hours.getAttribute('data-count')), api.hours.length)
  if (api.hours.length) {
    r.expectEq(`green [${loc}] ${label}: hours collapsed at first / 默认收起`, await hours.locator('tbody tr').count(), 0)
    await page.click('[data-testid=green-st-hours-toggle]')
    const rows = hours.locator('tbody tr')
    r.expectEq(`green [${loc}] ${label}: hours shown = first 48`, await rows.count(), Math.min(48, api.hours.length))
    const h = api.hours[0]
    const td = rows.first().locator('td')
    r.expectEq(`green [${loc}] ${label}: hour 1 consumption`, await text(td.nth(1)), fmtWh(loc, h.consumption_wh))
    r.expectEq(`green [${loc}] ${label}: hour 1 claimed`, await text(td.nth(2)), fmtWh(loc, h.claimed_wh))
    r.expectEq(`green [${loc}] ${label}: hour 1 residual`, await text(td.nth(3)), fmtWh(loc, h.residual_wh))
    r.expectEq(`green [${loc}] ${label}: hour 1 consumption certificate`, await text(td.nth(4)), h.consumption_cert)
    const certs = td.nth(5).locator('div')
    r.expectEq(`green [${loc}] ${label}: hour 1 certificate ranges`, await certs.count(), h.certificates.length)
    if (h.certificates.length) {
      const c = h.certificates[0]
      r.expectEq(`green [${loc}] ${label}: hour 1 certificate 1`, await text(certs.first()),
        `${c.device} [${fmt(loc, c.from_wh, 0)}, ${fmt(loc, c.to_wh, 0)}) ${fmtWh(loc, c.wh)} · #${fmt(loc, c.claim_seq, 0)}`)
      r.expectEq(`green [${loc}] ${label}: hour 1 claim seq`, Number(await certs.first().getAttribute('data-seq')), c.claim_seq)
    }
    if (loc === 'zh-CN' && api.hours.length > 48) {
      await page.click('[data-testid=green-st-hours-all]')
      r.expectEq(`green ${label}: "show all" shows every hour / 显示全部`, await rows.count(), api.hours.length)
      const lastH = api.hours[api.hours.length - 1]
      r.expectEq(`green ${label}: last hour claimed`, await text(rows.last().locator('td').nth(2)), fmtWh(loc, lastH.claimed_wh))
      await page.click('[data-testid=green-st-hours-all]')
    }
  }

  // Products (CBAM style): per tonne, with the factors' sources.
  const prows = page.locator('[data-testid=green-st-products] tbody tr')
  r.expectEq(`green [${loc}] ${label}: products = API`, await prows.count(), (api.products || []).length)
  const p = (api.products || []).find((x) => x.per_t && x.per_t.direct !== null)
  if (p) {
    const i = api.products.indexOf(p)
    const td = prows.nth(i).locator('td')
    r.expectEq(`green [${loc}] ${label}: product ${i + 1} share`, await text(td.nth(2)), fmtPct(loc, p.share, 2))
    r.expectEq(`green [${loc}] ${label}: product ${i + 1} direct/t`, await text(td.nth(3)), fmt(loc, p.per_t.direct, 4))
    r.expectEq(`green [${loc}] ${label}: product ${i + 1} indirect location/t`, await text(td.nth(4)), fmt(loc, p.per_t.indirect_location, 4))
    r.expectEq(`green [${loc}] ${label}: product ${i + 1} indirect market/t`, await text(td.nth(5)), fmt(loc, p.per_t.indirect_market, 4))
    r.expectEq(`green [${loc}] ${label}: product ${i + 1} total market/t`, await text(td.nth(7)), fmt(loc, p.per_t.total_market, 4))
  }
  // Electricity factors by method, with their datasets and sources.
  const ef = api.electricity_factor || {}
  const factors = [...(ef.location || []), ...(ef.market || [])]
  const frows = page.locator('[data-testid=green-st-factors] tbody tr')
  r.expectEq(`green [${loc}] ${label}: electricity factor rows = API`, await frows.count(), factors.length)
  if (factors.length) {
    r.expectEq(`green [${loc}] ${label}: factor 1 tCO2/MWh`, await text(frows.first().locator('td').nth(1)), fmt(loc, factors[0].tco2_per_mwh, 4))
    r.expectEq(`green [${loc}] ${label}: factor 1 sources listed`, await frows.first().locator('td').nth(3).locator('div').count(), (factors[0].rows || []).length)
  }
  return api
}

async function checkStatements(ctx, loc) {
  const { page, results: r, role, shot, outDir } = ctx
  const { parkWide, own, ents } = await scope(ctx)
  await tab(page, 'statements')
  const sel = page.locator('[data-testid=green-stl-enterprise]')
  const opts = await sel.locator('option').evaluateAll((os) => os.map((o) => o.value))
  r.expect(`green [${loc}] statements: enterprises in scope only / 仅范围内企业`, opts.length > 0 && opts.every((v) => ents.includes(v)), opts.join(','))
  if (own) r.expectEq(`green: ${role} chooses only its enterprise`, opts.join(','), own)
  const params = {
    enterprise: await sel.inputValue(),
    from: await page.locator('[data-testid=green-stl-from]').inputValue(),
    to: await page.locator('[data-testid=green-stl-to]').inputValue(),
  }
  // Default range: park-wide roles the last two settled months (if any), else the last two ended
  // months (the demo settles those at startup).
  const settled = parkWide ? (await ctx.get('/green/settlements')).months.map((x) => x.month).sort() : []
  const wantRange = settled.length ? `${settled[Math.max(0, settled.length - 2)]}..${settled[settled.length - 1]}`
    : `${monthOf(new Date(), 2)}..${monthOf(new Date(), 1)}`
  r.expectEq(`green [${loc}] statements: default months / 默认月份`, `${params.from}..${params.to}`, wantRange)
  await noChinese(ctx, loc, 'statements')
  await page.click('[data-testid=green-stl-open]')
  await ready(page, 'statement')
  const api = await compareStatement(ctx, loc, params)
  await noChinese(ctx, loc, 'statement')
  if (loc === 'zh-CN') {
    // Download JSON = the API's answer (generated_at aside).
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=green-st-download]')])
    const saved = JSON.parse(readFileSync(await download.path(), 'utf8'))
    const norm = (j) => JSON.stringify({ ...j, generated_at: '' })
    r.expectEq('green: statement JSON download = the API\'s / 下载 JSON 与接口一致', norm(saved), norm(api))
    r.expect('green: statement JSON file name / 文件名', download.suggestedFilename().startsWith(`green-statement-${params.enterprise}-`), download.suggestedFilename())

    // Print: the button calls window.print(); print media hides navigation and buttons; A4 PDF.
    await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++ } })
    await page.click('[data-testid=green-st-print]')
    r.expectEq('green: Print calls window.print() / 打印按钮', await page.evaluate(() => window.__printed), 1)
    await page.emulateMedia({ media: 'print' })
    r.expect('green: print view hides the navigation / 打印隐藏导航', !(await page.locator('header.topbar').isVisible()))
    r.expect('green: print view hides the buttons / 打印隐藏按钮', !(await page.locator('[data-testid=green-st-download]').isVisible()) && !(await page.locator('[data-testid=green-st-print]').isVisible()))
    r.expect('green: print view shows the statement / 打印显示声明', await page.locator('[data-testid=green-st-summary]').isVisible())
    await shot('statement-print')
    const pdf = await page.pdf({ path: join(outDir, `${role}-green-statement.pdf`), preferCSSPageSize: true, printBackground: true })
    r.expect('green: the statement prints to a PDF / 打印为 PDF', pdf.length > 10000 && pdf.subarray(0, 5).toString() === '%PDF-', `${pdf.length} bytes`)
    await page.emulateMedia({ media: null })
    await shot('statement')

    if (own) {
      // Another enterprise's statement: the page keeps an enterprise user on its own.
      const other = '91000000000000000X'
      await page.evaluate((o) => {
        history.pushState(null, '', `/app/green/statement?enterprise=${o}&from=2025-01&to=2025-01`)
        dispatchEvent(new PopStateEvent('popstate'))
      }, other)
      await page.waitForSelector(`${root}[data-ready=true] [data-testid=green-statement][data-enterprise="${own}"][data-from="2025-01"]`, { timeout: 60000 })
      r.ok(`green: ${role} asking for another enterprise's statement gets its own / 企业用户只能看本企业声明`)
    }
  }
  await page.click('[data-testid=green-st-back]')
  await ready(page, 'statements')
}

// ---- settlements -----------------------------------------------------------------------------
async function checkSettlements(ctx, loc) {
  const { page, get, results: r, role, shot } = ctx
  const tabs = await page.locator('[data-testid=green-tabs] a').evaluateAll((as) => as.map((a) => a.dataset.testid.replace('green-tab-', '')))
  const want = role === 'admin' ? 'matching,certificates,statements,settlements' : 'matching,certificates,statements'
  r.expectEq(`green [${loc}]: tabs of the role (settle: admin only) / 按角色的标签`, tabs.join(','), want)
  if (role !== 'admin') return
  await tab(page, 'settlements')
  let list = await get('/green/settlements')
  const rows = () => page.locator('[data-testid=green-settled] tbody tr')
  r.expectEq(`green [${loc}] settlements: months = API`, await rows().count(), list.months.length)
  await noChinese(ctx, loc, 'settlements')
  if (loc !== 'zh-CN') return
  ctx.allowHttpError(409, /\/api\/v1\/green\/settlements$/)
  const lastEnded = monthOf(new Date(), 1)
  if (!list.months.length) {
    // Nothing settled yet: settle the last ended month through the page (cancel once first).
    r.expectEq('green: settle suggests the last ended month / 建议结算上月', await page.locator('[data-testid=green-settle-month]').inputValue(), lastEnded)
    await page.click('[data-testid=green-settle-button]')
    await page.click('[data-testid=green-settle-no]')
    r.expectEq('green: settle can be cancelled / 可取消', await page.locator('[data-testid=green-settle-confirm]').count(), 0)
    await page.click('[data-testid=green-settle-button]')
    await page.click('[data-testid=green-settle-yes]')
    await page.waitForSelector('[data-testid=green-settle-result], [data-testid=green-settle-refused], [data-testid=page-green] [data-testid=error]', { timeout: 300000 })
    await page.waitForSelector(`${root}[data-ready=true]`)
    list = await get('/green/settlements')
    const m = list.months.find((x) => x.month === lastEnded)
    r.expect(`green: ${lastEnded} settled through the page / 页面结算`, !!m && (await page.locator('[data-testid=green-settle-result]').count()) === 1)
    if (m) {
      const res = page.locator('[data-testid=green-settle-result]')
      r.expectEq('green: settle result issued = API', await text(res.locator('[data-key=issued_wh]')), fmtWh('zh-CN', m.issued_wh))
      r.expectEq('green: settle result claimed = API', await text(res.locator('[data-key=claimed_wh]')), fmtWh('zh-CN', m.claimed_wh))
      r.expectEq('green: settle result last ledger seq = API', (await res.locator('[data-key=seqs]').getAttribute('data-value')).split('-')[1], String(m.ledger_to_seq))
      r.expectEq('green: settled months listed = API', await rows().count(), list.months.length)
      await shot('settled')
    }
  }
  // A settled month again: 409, shown as a message.
  const again = list.months.map((x) => x.month).sort().pop()
  if (again) {
    await page.fill('[data-testid=green-settle-month]', again)
    await page.click('[data-testid=green-settle-button]')
    await page.click('[data-testid=green-settle-yes]')
    const refused = page.locator('[data-testid=green-settle-refused]')
    await refused.waitFor({ timeout: 60000 })
    r.expectEq('green: settling a settled month says so (409) / 重复结算提示', await refused.getAttribute('data-kind'), 'gr.set.already')
    r.expect('green: the 409 message names the month / 提示含月份', (await refused.textContent()).includes('已经结算过'))
    const cells = rows().first().locator('td')
    const newest = [...list.months].sort((a, b) => b.month.localeCompare(a.month))[0]
    r.expectEq('green: newest settled month claimed = API', await text(cells.nth(2)), fmtWh('zh-CN', newest.claimed_wh))
    r.expectEq('green: newest settled month ledger seq = API', await text(cells.nth(4)), fmt('zh-CN', newest.ledger_to_seq, 0))
  }
}

export async function check(ctx, loc) {
  const { page } = ctx
  await ready(page, 'matching')
  await checkMatching(ctx, loc)
  await checkSettlements(ctx, loc) // admin: settles a month when none is (before the views that need one)
  await checkCertificates(ctx, loc)
  await checkStatements(ctx, loc)
  if (ctx.role !== 'admin') {
    // A path of the admin's tab sends other roles to the matching view.
    await page.evaluate(() => { history.pushState(null, '', '/app/green/settlements'); dispatchEvent(new PopStateEvent('popstate')) })
    await ready(page, 'matching')
    ctx.results.ok(`green [${loc}]: /green/settlements is not for ${ctx.role} / 非管理员无结算页`)
  } else {
    await tab(page, 'matching')
  }
}
