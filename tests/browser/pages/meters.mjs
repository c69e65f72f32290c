// Meters and data quality / 计量与数据质量: the list equals /api/v1/meters, completeness and
// suspicious counters equal /api/v1/completeness/summary (by=meter and by=day), worst meters
// first; filters (carrier, zone, kind, search, problems only), period presets, sorting, paging
// and the CSV export; the detail panel's readings equal /api/v1/readings (or /api/v1/sums for a
// virtual meter), its gaps equal /api/v1/completeness?meter=.
import { readFileSync } from 'node:fs'
import { chineseLeft, fmt, fmtPct } from '../lib.mjs'

export const name = 'meters'

const ROOT = '[data-testid=page-meters]'
const addDays = (day, n) => new Date(Date.UTC(+day.slice(0, 4), +day.slice(5, 7) - 1, +day.slice(8, 10) + n)).toISOString().slice(0, 10)

async function ready(page) {
  await page.waitForSelector(`${ROOT}[data-ready=true]`, { timeout: 30000 })
}
// Polls until the text of `sel` is `want` (a filter or period change reloads asynchronously).
async function textOf(page, sel, want, timeout = 15000) {
  const end = Date.now() + timeout
  let got = null
  while (Date.now() < end) {
    got = (await page.locator(sel).first().textContent().catch(() => null))?.trim() ?? null
    if (got === want) break
    await page.waitForTimeout(100)
  }
  return got
}
async function attrOf(page, sel, attr, want, timeout = 15000) {
  const end = Date.now() + timeout
  let got = null
  while (Date.now() < end) {
    got = await page.locator(sel).first().getAttribute(attr).catch(() => null)
    if (got === String(want)) break
    await page.waitForTimeout(100)
  }
  return got
}

// The page's order: lowest completeness, then flagged (x1000) plus suspect zeros, then code;
// meters without figures (virtual) last.
function worstOrder(meters, summary) {
  const stats = new Map(summary.rows.map((r) => [r.group, r]))
  const rows = meters.map((m) => ({ ...m, s: stats.get(m.code) || null }))
  const ratio = (r) => (r.s ? r.s.ratio : 2)
  const pen = (r) => (r.s ? r.s.flagged * 1000 + r.s.suspect_zero : 0)
  return rows.sort((a, b) => ratio(a) - ratio(b) || pen(b) - pen(a) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
}
const problem = (s) => s && (s.ratio < 1 || s.suspect_zero > 0 || s.flagged > 0)

// Gaps as the detail panel lists them: runs of consecutive days with fewer readings than expected.
function gapsOf(rows) {
  const out = []
  let cur = null
  for (const r of rows) {
    if (r.received < r.expected) {
      if (cur && addDays(cur.to, 1) === r.date) cur.to = r.date
      else { cur = { from: r.date, to: r.date }; out.push(cur) }
    } else cur = null
  }
  return out
}

async function checkList(ctx, loc, P, meters, sm, sd) {
  const { page, results: r } = ctx
  r.expectEq(`${P}: meters listed = /meters total`, Number(await attrOf(page, '[data-testid=list-count]', 'data-value', meters.length)), meters.length)
  r.expectEq(`${P}: physical meters KPI`, Number(await page.getAttribute('[data-testid=kpi-meters] .kpi-value', 'data-value')),
    meters.filter((m) => m.kind !== 'virtual').length)
  r.expectEq(`${P}: completeness KPI = summary by=day ratio`, await textOf(page, '[data-testid=kpi-ratio] .kpi-value', fmtPct(loc, sd.ratio, 2)), fmtPct(loc, sd.ratio, 2))
  r.expectEq(`${P}: suspect zeros KPI = summary`, (await page.textContent('[data-testid=kpi-suspect] .kpi-value')).trim(), fmt(loc, sd.suspect_zero, 0))
  r.expectEq(`${P}: flagged KPI = summary`, (await page.textContent('[data-testid=kpi-flagged] .kpi-value')).trim(), fmt(loc, sd.flagged, 0))
  const incomplete = sm.rows.filter((x) => x.ratio < 1).length
  r.expectEq(`${P}: meters with missing data KPI`, Number(await page.getAttribute('[data-testid=kpi-incomplete] .kpi-value', 'data-value')), incomplete)
  const order = worstOrder(meters, sm)
  const rows = page.locator('[data-testid=meter-list] tbody tr')
  const n = Math.min(5, order.length)
  for (let i = 0; i < n; i++) {
    const row = rows.nth(i)
    const want = order[i]
    r.expectEq(`${P}: row ${i + 1} is the ${i + 1}. worst meter`, await row.getAttribute('data-code'), want.code)
    if (!want.s) continue
    r.expectEq(`${P}: row ${i + 1} completeness = API`, (await row.locator('[data-col=ratio]').textContent()).trim(), fmtPct(loc, want.s.ratio, 1))
    r.expectEq(`${P}: row ${i + 1} received/expected = API`, (await row.locator('[data-col=received]').textContent()).trim(),
      `${fmt(loc, want.s.received, 0)} / ${fmt(loc, want.s.expected, 0)}`)
    r.expectEq(`${P}: row ${i + 1} flagged = API`, Number(await row.locator('[data-col=flagged]').getAttribute('data-value')), want.s.flagged)
    r.expectEq(`${P}: row ${i + 1} suspect zeros = API`, Number(await row.locator('[data-col=suspect_zero]').getAttribute('data-value')), want.s.suspect_zero)
  }
  return order
}

async function openDetail(ctx, loc, P, code, period, sm) {
  const { page, get, results: r } = ctx
  await page.fill('[data-testid=f-search]', code)
  await page.locator(`[data-testid=meter-list] tbody tr[data-code="${code}"] a`).click()
  await page.waitForSelector(`[data-testid=meter-detail][data-code="${code}"][data-ready=true]`, { timeout: 30000 })
  await ready(page)
  const meter = await get(`/meters/${encodeURIComponent(code)}`)
  const day = await page.inputValue('[data-testid=reading-day]')
  if (meter.kind === 'virtual') {
    const s = await get(`/sums?by=meter&meter=${encodeURIComponent(code)}&period=hour&from=${day}&to=${addDays(day, 1)}`)
    r.expectEq(`${P}: virtual ${code}: hourly sums shown = /sums count`, Number(await page.getAttribute('[data-testid=readings-count]', 'data-value')), s.rows.length)
    if (s.rows.length) r.expectEq(`${P}: virtual ${code}: latest hourly sum = /sums`, Number(await page.getAttribute('[data-testid=latest-reading]', 'data-value')), s.rows[s.rows.length - 1].value)
    r.expect(`${P}: virtual ${code}: says it has no raw readings`, await page.locator('[data-testid=virtual-note]').count() === 1)
    return { meter, day }
  }
  const stat = sm.rows.find((x) => x.group === code)
  r.expectEq(`${P}: ${code}: period completeness = summary row`, Number(await page.getAttribute('[data-testid=d-ratio] .kpi-value', 'data-value')), stat.ratio)
  r.expectEq(`${P}: ${code}: flagged = summary row`, (await page.textContent('[data-testid=d-flagged] .kpi-value')).trim(), fmt(loc, stat.flagged, 0))
  // The readings of the last day with data (default), equal /api/v1/readings.
  const year = addDays(period.to, -1).slice(0, 4)
  const from = period.from < `${year}-01-01` ? period.from : `${year}-01-01`
  const comp = await get(`/completeness?meter=${encodeURIComponent(code)}&from=${from}&to=${period.to}`)
  const withData = comp.rows.filter((x) => x.received > 0)
  r.expectEq(`${P}: ${code}: readings day = last day with data`, day, withData.length ? withData[withData.length - 1].date : addDays(period.to, -1))
  const rd = await get(`/readings?meter=${encodeURIComponent(code)}&from=${day}&to=${addDays(day, 1)}`)
  r.expectEq(`${P}: ${code}: readings count = /readings`, Number(await page.getAttribute('[data-testid=readings-count]', 'data-value')), rd.count)
  if (rd.readings.length) {
    const last = rd.readings[rd.readings.length - 1]
    r.expectEq(`${P}: ${code}: latest reading = /readings`, Number(await page.getAttribute('[data-testid=latest-reading]', 'data-value')), last.value)
    r.expectEq(`${P}: ${code}: latest reading time = /readings`, await page.getAttribute('[data-testid=latest-reading]', 'data-ts'), last.ts)
    r.expect(`${P}: ${code}: latest reading shown formatted`, (await page.textContent('[data-testid=latest-reading]')).includes(fmt(loc, last.value, 2)))
  }
  r.expectEq(`${P}: ${code}: gaps listed = /completeness runs`, await page.locator('[data-testid=gaps] tbody tr[data-kind=gap]').count(), gapsOf(comp.rows).length)
  r.expectEq(`${P}: ${code}: suspicious days listed = /completeness`, await page.locator('[data-testid=gaps] tbody tr[data-kind=suspicious]').count(),
    comp.rows.filter((x) => x.suspect_zero > 0 || x.flagged > 0).length)
  return { meter, day, rd, comp }
}

async function back(page) {
  await page.click('[data-testid=back]')
  await page.waitForSelector('[data-testid=meter-list]', { state: 'visible' })
  await page.fill('[data-testid=f-search]', '')
  await ready(page)
}

export async function check(ctx, loc) {
  const { page, get, results: r } = ctx
  const P = `meters [${loc}]`
  await ready(page)
  const [list, sm, sd] = await Promise.all([get('/meters?limit=100000'), get('/completeness/summary?by=meter'), get('/completeness/summary?by=day')])
  const meters = list.meters
  const period = { from: sm.from, to: sm.to }
  r.expect(`${P}: period label shows the default period`, (await page.textContent('[data-testid=period-label]')).length > 0)
  r.expectEq(`${P}: period from = summary default`, await page.inputValue('[data-testid=period-from]'), sm.from)
  r.expectEq(`${P}: period to = summary default (inclusive)`, await page.inputValue('[data-testid=period-to]'), addDays(sm.to, -1))
  const order = await checkList(ctx, loc, P, meters, sm, sd)

  if (loc !== 'zh-CN') {
    // English: the detail panel of the worst meter has no Chinese interface text.
    await openDetail(ctx, loc, P, order[0].code, period, sm)
    const cjk = await chineseLeft(page)
    r.expect(`${P}: detail has no Chinese interface text`, !cjk.length, cjk.slice(0, 5).join(' | '))
    await ctx.shot('detail-en')
    await back(page)
    return
  }

  // Carrier filter: the list equals /meters?carrier=, the KPIs equal summary by=day&carrier=.
  const carriers = [...new Set(meters.map((m) => m.carrier))]
  const carrier = carriers.includes('water') ? 'water' : carriers[0]
  await page.selectOption('[data-testid=f-carrier]', carrier)
  const [lc, dc] = await Promise.all([get(`/meters?carrier=${carrier}&limit=100000`), get(`/completeness/summary?by=day&carrier=${carrier}`)])
  r.expectEq(`${P}: carrier ${carrier}: count = /meters?carrier=`, Number(await attrOf(page, '[data-testid=list-count]', 'data-value', lc.total)), lc.total)
  r.expectEq(`${P}: carrier ${carrier}: completeness = summary by=day&carrier=`, await textOf(page, '[data-testid=kpi-ratio] .kpi-value', fmtPct(loc, dc.ratio, 2)), fmtPct(loc, dc.ratio, 2))
  await ready(page)
  await ctx.shot('filter-carrier')
  await page.selectOption('[data-testid=f-carrier]', '')

  // Zone filter (park roles and officers): the list equals the server's /meters?zone=.
  if (await page.locator('[data-testid=f-zone]').count()) {
    const zone = await page.locator('[data-testid=f-zone] option').nth(1).getAttribute('value')
    await page.selectOption('[data-testid=f-zone]', zone)
    const [lz, dz] = await Promise.all([get(`/meters?zone=${zone}&limit=100000`), get(`/completeness/summary?by=day&zone=${zone}`)])
    r.expectEq(`${P}: zone ${zone}: count = /meters?zone=`, Number(await attrOf(page, '[data-testid=list-count]', 'data-value', lz.total)), lz.total)
    r.expectEq(`${P}: zone ${zone}: completeness = summary by=day&zone=`, await textOf(page, '[data-testid=kpi-ratio] .kpi-value', fmtPct(loc, dz.ratio, 2)), fmtPct(loc, dz.ratio, 2))
    await page.selectOption('[data-testid=f-zone]', '')
    await ready(page)
  }

  // Kind filter and search.
  await page.selectOption('[data-testid=f-kind]', 'cumulative')
  const cum = meters.filter((m) => m.kind === 'cumulative').length
  r.expectEq(`${P}: kind cumulative: count = /meters kind`, Number(await attrOf(page, '[data-testid=list-count]', 'data-value', cum)), cum)
  await page.selectOption('[data-testid=f-kind]', '')
  const q = meters.some((m) => m.code.includes('.WATER')) ? '.water' : meters[0].code.toLowerCase()
  await page.fill('[data-testid=f-search]', q)
  const found = meters.filter((m) => m.code.toLowerCase().includes(q)).length
  r.expectEq(`${P}: search "${q}": count`, Number(await attrOf(page, '[data-testid=list-count]', 'data-value', found)), found)
  await page.fill('[data-testid=f-search]', '')

  // Sorting by code, then back to worst first.
  await page.click('[data-testid=meter-list] th[data-sort=code]')
  const byCode = [...meters].sort((a, b) => (a.code < b.code ? -1 : 1))[0].code
  r.expectEq(`${P}: sorted by code: first row`, await attrOf(page, '[data-testid=meter-list] tbody tr', 'data-code', byCode), byCode)
  await page.click('[data-role=sort-worst]')

  // A year: the 365-day preset, worst meters and problems-only equal summary by=meter of that range.
  await page.click('[data-preset="365"]')
  const y = { from: addDays(sm.to, -365), to: sm.to }
  const [ym, yd] = await Promise.all([get(`/completeness/summary?by=meter&from=${y.from}&to=${y.to}`), get(`/completeness/summary?by=day&from=${y.from}&to=${y.to}`)])
  r.expectEq(`${P}: 365 days: completeness = summary by=day`, await textOf(page, '[data-testid=kpi-ratio] .kpi-value', fmtPct(loc, yd.ratio, 2)), fmtPct(loc, yd.ratio, 2))
  await ready(page)
  r.expectEq(`${P}: 365 days: period from`, await page.inputValue('[data-testid=period-from]'), y.from)
  const yorder = await checkList(ctx, `${loc}`, `${P} 365d`, meters, ym, yd)
  await page.selectOption('[data-testid=f-problems]', 'any')
  const stat = (m) => ym.rows.find((x) => x.group === m.code)
  const nprob = meters.filter((m) => problem(stat(m))).length
  r.expectEq(`${P}: 365 days: meters with problems = gaps or suspicious counters`, Number(await attrOf(page, '[data-testid=list-count]', 'data-value', nprob)), nprob)
  await ctx.shot('year-problems')
  // The suspicious-counters KPI lists exactly the meters with suspect zeros or flagged deltas.
  await page.click('[data-testid=kpi-flagged]')
  const susp = meters.filter((m) => { const s = stat(m); return s && (s.suspect_zero > 0 || s.flagged > 0) })
  r.expectEq(`${P}: 365 days: suspicious meters listed`, Number(await attrOf(page, '[data-testid=list-count]', 'data-value', susp.length)), susp.length)
  await page.selectOption('[data-testid=f-problems]', '')

  // Paging.
  if (await page.locator('[data-testid=pager]').count()) {
    await page.click('[data-testid=pager] [data-role=next]')
    r.expectEq(`${P}: page 2 starts with the 51st meter`, await attrOf(page, '[data-testid=meter-list] tbody tr', 'data-code', yorder[50].code), yorder[50].code)
    await page.click('[data-testid=pager] [data-role=prev]')
  }

  // CSV export of the whole list: raw numbers, header in Chinese.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=meter-list] [data-role=export-csv]')])
  const csv = readFileSync(await download.path(), 'utf8')
  const lines = csv.replace(/^\ufeff/, '').trim().split(/\r\n/)
  r.expectEq(`${P}: CSV has a BOM`, csv.charCodeAt(0), 0xfeff)
  r.expectEq(`${P}: CSV header is Chinese`, lines[0].split(',')[0], '表计编码')
  r.expectEq(`${P}: CSV has every meter`, lines.length - 1, meters.length)
  const first = lines[1].split(',')
  r.expectEq(`${P}: CSV row 1 = worst meter`, first[0], yorder[0].code)
  if (yorder[0].s) r.expectEq(`${P}: CSV row 1 ratio is the raw API number`, Number(first[10]), yorder[0].s.ratio)

  // Detail of the worst meter of the year; the previous day's readings.
  const d = await openDetail(ctx, loc, P, yorder[0].code, y, ym)
  await ctx.shot('detail')
  if (d.meter.kind !== 'virtual') {
    await page.click('[data-role=prev-day]')
    const prev = addDays(d.day, -1)
    const rp = await get(`/readings?meter=${encodeURIComponent(d.meter.code)}&from=${prev}&to=${d.day}`)
    if (rp.count) {
      const lastTs = rp.readings[rp.count - 1].ts
      r.expectEq(`${P}: previous day's latest reading time = /readings`, await attrOf(page, '[data-testid=latest-reading]', 'data-ts', lastTs), lastTs)
    }
    await ready(page)
    r.expectEq(`${P}: previous day's readings count = /readings`, Number(await attrOf(page, '[data-testid=readings-count]', 'data-value', rp.count)), rp.count)
    const panel = page.locator('[data-testid=panel-readings]')
    if (rp.count) {
      await panel.locator('[data-role=show-table]').click()
      r.expectEq(`${P}: readings table row 1 = /readings`, (await panel.locator('tbody tr').first().locator('td').nth(1).textContent()).trim(), fmt(loc, rp.readings[0].value, 2))
      await panel.locator('[data-role=show-chart]').click()
    }
  }
  await back(page)
  // A meter with a gap or flagged delta in the year, if the role has one besides the worst.
  const other = yorder.slice(1).find((m) => m.s && (m.s.flagged > 0 || m.s.suspect_zero > 0))
  if (other) {
    await openDetail(ctx, loc, P, other.code, y, ym)
    await ctx.shot('detail-suspicious')
    await back(page)
  }
  // A virtual meter (hourly sums), if the role has one.
  const virtual = meters.find((m) => m.kind === 'virtual')
  if (virtual) {
    await openDetail(ctx, loc, P, virtual.code, y, ym)
    await ctx.shot('detail-virtual')
    await back(page)
  }
  // Back to the default period for the English pass.
  await page.click('[data-preset="7"]')
  await ready(page)
  r.expectEq(`${P}: 7-day preset restores the default period`, await page.inputValue('[data-testid=period-from]'), sm.from)
}
