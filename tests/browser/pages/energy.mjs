// Energy page / 能耗页面: KPIs, the group table, the table behind the charts and the CSV equal
// /api/v1/energy; switching method, grouping and period shows the API's figures for the choice;
// drill-down park -> zone -> enterprise -> meters shows /api/v1/energy and /api/v1/sums at every
// level; the breadcrumb goes back up. Helpers are shared with carbon.mjs.
import { readFileSync } from 'node:fs'
import { fmt, fmtPct } from '../lib.mjs'

export const name = 'energy'

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
export function fmtYoy(loc, v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  return (v > 0 ? '+' : '') + fmtPct(loc, v)
}
// Numbers as the page shows them: float noise around zero (|v| < 1e-9) is zero, never "-0.0".
export const fmtN = (loc, v, digits = 1) => fmt(loc, v !== null && v !== undefined && Math.abs(v) < 1e-9 ? 0 : v, digits)
// Shares as the page shows them: float noise around zero is zero.
export const pctZ = (loc, v) => fmtPct(loc, v !== null && v !== undefined && Math.abs(v) < 1e-9 ? 0 : v)
// Meter amounts: whole units from 100 up, else 2 decimals (as the page shows them).
export const fmtAmount = (loc, v) => fmtN(loc, v, v !== null && Math.abs(v) >= 100 ? 0 : 2)
export const q = (path, params) => path + '?' + new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '')).toString()

// The page says what it has loaded in data-state: level|code|grouping|period|year.
export async function waitState(page, pageName, state) {
  const sel = `[data-testid=page-${pageName}][data-ready=true][data-state="${state}"]`
  try {
    await page.waitForSelector(sel, { timeout: 15000 })
  } catch {
    const got = await page.locator(`[data-testid=page-${pageName}]`).getAttribute('data-state')
    throw new Error(`page ${pageName} did not reach state ${state} (at ${got})`)
  }
}

// Text of a locator once it equals `want` (a re-render after a select is asynchronous), or the
// last text seen after 3 s.
export async function textSoon(locator, want) {
  let got = null
  const end = Date.now() + 3000
  for (;;) {
    got = (await locator.count()) ? ((await locator.first().textContent()) || '').trim() : null
    if (got === want || Date.now() > end) return got
    await sleep(50)
  }
}

export async function tableRows(panel) {
  return panel.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())))
}

export async function headers(panel) {
  return panel.locator('thead th').evaluateAll((ths) => ths.map((th) => th.textContent.trim()))
}

// CSV of a ChartPanel: [header, ...rows] as arrays of cells (no quoted commas in our numbers).
export async function downloadCsv(page, panel) {
  const [download] = await Promise.all([page.waitForEvent('download'), panel.locator('[data-role=export-csv]').click()])
  const text = readFileSync(await download.path(), 'utf8')
  const lines = text.replace(/^\ufeff/, '').trim().split(/\r\n/)
  const split = (l) => {
    const out = []
    let cur = '', inq = false
    for (let i = 0; i < l.length; i++) {
      const c = l[i]
      if (inq) { if (c === '"' && l[i + 1] === '"') { cur += '"'; i++ } else if (c === '"') inq = false; else cur += c }
      else if (c === '"') inq = true
      else if (c === ',') { out.push(cur); cur = '' }
      else cur += c
    }
    out.push(cur)
    return out
  }
  return { bom: text.charCodeAt(0) === 0xfeff, rows: lines.map(split) }
}

export async function select(page, testid, value) {
  await page.locator(`[data-testid=${testid}]`).selectOption(String(value))
}

// Period = month at the park level by zone: the table behind the group chart has a column per
// month with the API's figures (value(row)); back to the year afterwards.
export async function checkZoneMonths({ page, get, r, tag, P, Y, loc, value }) {
  await select(page, 'period', 'month')
  await waitState(page, P, `park||zone|month|${Y}`)
  const ans = await get(q('/' + P, { by: 'zone', period: 'month', year: Y }))
  const panel = page.locator('[data-testid=panel-group]')
  await panel.locator('[data-role=show-table]').click()
  const cells = await tableRows(panel)
  const g = cells[0][1]
  const want = ans.rows.filter((x) => x.group === g).slice(0, 3).map((x) => fmtN(loc, value(x)))
  r.expectEq(`${tag} monthly by zone: ${g} first 3 months = API`, cells[0].slice(2, 5).join(' | '), want.join(' | '))
  await panel.locator('[data-role=show-chart]').click()
  await select(page, 'period', 'year')
  await waitState(page, P, `park||zone|year|${Y}`)
}

// Row of the drill table for a group: cell text and data-value by column key.
export async function drillCell(page, group, key) {
  const td = page.locator(`[data-testid=drill-table] tr[data-group="${group}"] td[data-key=${key}]`)
  if (!(await td.count())) return { text: null, value: null }
  return { text: (await td.textContent()).trim(), value: await td.getAttribute('data-value') }
}

const M = 'equivalent'
const tce = (r, m = M) => r?.tce?.[m] ?? null

// Years with data the way the page finds them: the API's latest year, and whether the year before has readings.
export async function yearInfo(get) {
  const latest = await get('/energy?by=park')
  const year = Number(String(latest.from).slice(0, 4))
  const prevAns = await get(q('/energy', { by: 'park', period: 'year', year: year - 1 }))
  const hasPrev = (prevAns.rows || []).some((r) => r.readings > 0)
  return { year, hasPrev }
}

function byTceDesc(rows, m = M) { return [...rows].sort((a, b) => (tce(b, m) ?? -Infinity) - (tce(a, m) ?? -Infinity)) }

export async function check({ page, get, role, me, results: r, shot }, loc) {
  const P = 'energy'
  const tag = `energy [${loc}]`
  const { year: Y, hasPrev } = await yearInfo(get)
  r.expectEq(`${tag}: year shown = latest year with readings`, Number(await page.locator('[data-testid=year]').inputValue()), Y)
  await waitState(page, P, `park||zone|year|${Y}`)
  const kpiText = (id) => page.locator(`[data-testid=${id}] .kpi-value`)

  // Park level (the caller's scope) / 园区层级
  const checkLevelKpis = async (label, by, filter, code) => {
    const ans = await get(q('/energy', { by, period: 'year', year: Y, ...filter }))
    const row = code ? ans.rows.find((x) => x.group === code) : ans.rows[0]
    r.expectEq(`${tag} ${label}: energy = API tce.equivalent`, await textSoon(kpiText('kpi-energy'), fmtN(loc, tce(row))), fmtN(loc, tce(row)))
    r.expectEq(`${tag} ${label}: energy data-value exact`, Number(await kpiText('kpi-energy').getAttribute('data-value')), tce(row))
    r.expectEq(`${tag} ${label}: electricity share = API`, (await kpiText('kpi-elec').textContent()).trim(), pctZ(loc, row.electricity_share[M]))
    r.expectEq(`${tag} ${label}: clean share = API`, (await kpiText('kpi-clean').textContent()).trim(), pctZ(loc, row.clean_share[M]))
    r.expectEq(`${tag} ${label}: tce per 10k CNY = API`, (await kpiText('kpi-intensity').textContent()).trim(), fmtN(loc, row.intensity_tce_per_10k_cny[M], 3))
    r.expectEq(`${tag} ${label}: year on year = API yoy`, (await kpiText('kpi-yoy').textContent()).trim(), fmtYoy(loc, row.yoy[M]))
    // What the year on year compares with: the API's yoy_basis (a running year: the same months).
    const basis = (ans.yoy_basis || []).find((b) => b.period === String(Y))
    const partial = basis && !(basis.from.endsWith('-01') && basis.to.endsWith('-12'))
    const month = (ym) => new Intl.DateTimeFormat(loc, { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(+ym.slice(0, 4), +ym.slice(5, 7) - 1, 1)))
    const basisText = (await page.locator('[data-testid=yoy-basis]').textContent()).trim()
    if (partial) r.expect(`${tag} ${label}: year on year names the months it compares with`, basisText.includes(month(basis.from)) && basisText.includes(month(basis.to)), basisText)
    else r.expectEq(`${tag} ${label}: year on year compares whole years`, basisText, `${Y} / ${Y - 1}`)
    let prev = null
    if (hasPrev) {
      const pa = await get(q('/energy', { by, period: 'year', year: Y - 1, ...filter }))
      const pr = code ? pa.rows.find((x) => x.group === code) : pa.rows[0]
      prev = pr && pr.readings !== 0 ? tce(pr) : null
    }
    r.expectEq(`${tag} ${label}: previous year = API (year ${Y - 1})`, (await kpiText('kpi-prev').textContent()).trim(), fmtN(loc, prev))
    return row
  }
  const park = await checkLevelKpis('park', 'park', {}, null)

  // Groups by zone: every row of the drill table, and the first rows of the table behind the chart.
  const checkGroups = async (label, by, filter, m = M) => {
    const ans = await get(q('/energy', { by, period: 'year', year: Y, ...filter }))
    const rows = by === 'enterprise' ? byTceDesc(ans.rows, m) : ans.rows
    const n = await page.locator('[data-testid=drill-table] tbody tr').count()
    r.expectEq(`${tag} ${label}: detail rows = API rows`, n, rows.length)
    let bad = 0
    for (const x of rows.slice(0, 5)) {
      const c = await drillCell(page, x.group, 'tce')
      if (c.text !== fmtN(loc, tce(x, m)) || Number(c.value) !== tce(x, m)) { bad++; r.fail(`${tag} ${label}: ${x.group} tce`, `shown ${c.text} (${c.value}), API ${tce(x, m)}`) }
    }
    if (!bad) r.ok(`${tag} ${label}: first ${Math.min(5, rows.length)} detail rows tce = API (${m})`)
    const panel = page.locator('[data-testid=panel-group]')
    await panel.locator('[data-role=show-table]').click()
    const cells = await tableRows(panel)
    r.expectEq(`${tag} ${label}: chart table row 1 code = API`, cells[0]?.[1], rows[0]?.group)
    r.expectEq(`${tag} ${label}: chart table row 1 tce = API`, cells[0]?.[2], fmtN(loc, tce(rows[0], m)))
    if (rows[1]) r.expectEq(`${tag} ${label}: chart table row 2 tce = API`, cells[1]?.[2], fmtN(loc, tce(rows[1], m)))
    await panel.locator('[data-role=show-chart]').click()
    return rows
  }
  const zones = await checkGroups('by zone', 'zone', {})
  if (role === 'officer') r.expect(`${tag}: officer sees only his zones`, zones.every((z) => me.zones.includes(z.group)), zones.map((z) => z.group).join(','))
  if (role === 'enterprise') r.expectEq(`${tag}: enterprise user sees one zone`, zones.length, 1)

  // Sorting the detail table by a column: descending, ascending, then the page's order again.
  {
    const firstGroup = () => page.locator('[data-testid=drill-table] tbody tr').first().getAttribute('data-group')
    const sorted = [...zones].sort((a, b) => tce(b) - tce(a))
    await page.locator('[data-testid=drill-table] th[data-sort=tce]').click()
    r.expectEq(`${tag}: sorted by tce, descending: first = API's biggest`, await firstGroup(), sorted[0].group)
    await page.locator('[data-testid=drill-table] th[data-sort=tce]').click()
    r.expectEq(`${tag}: sorted by tce, ascending: first = API's smallest`, await firstGroup(), sorted[sorted.length - 1].group)
    await page.locator('[data-testid=drill-table] th[data-sort=tce]').click()
    r.expectEq(`${tag}: third click: the API's order again`, await firstGroup(), zones[0].group)
  }

  // Year switch (when the year before has readings) / 切换年份
  if (hasPrev) {
    await select(page, 'year', Y - 1)
    await waitState(page, P, `park||zone|year|${Y - 1}`)
    const before = (await get(q('/energy', { by: 'park', period: 'year', year: Y - 1 }))).rows[0]
    r.expectEq(`${tag}: year ${Y - 1} energy = API`, (await kpiText('kpi-energy').textContent()).trim(), fmtN(loc, tce(before)))
    await select(page, 'year', Y)
    await waitState(page, P, `park||zone|year|${Y}`)
  }

  // Method switch / 切换计算方法
  await select(page, 'method', 'coal_equivalent')
  r.expectEq(`${tag}: coal-equivalent energy = API`, await textSoon(kpiText('kpi-energy'), fmtN(loc, tce(park, 'coal_equivalent'))), fmtN(loc, tce(park, 'coal_equivalent')))
  const z0 = zones.find((z) => z.group !== 'PARK') || zones[0]
  r.expectEq(`${tag}: coal-equivalent zone row = API`, (await drillCell(page, z0.group, 'tce')).text, fmtN(loc, tce(z0, 'coal_equivalent')))
  await select(page, 'method', 'equivalent')

  // Grouping switch / 切换分组
  {
    await select(page, 'grouping', 'carrier')
    await waitState(page, P, `park||carrier|year|${Y}`)
    const carriers = await checkGroups('by carrier', 'carrier', {})
    const c0 = carriers[0]
    r.expectEq(`${tag} by carrier: amount = API`, (await drillCell(page, c0.group, 'amount')).text, fmtN(loc, c0.amount, 0))
    await select(page, 'grouping', 'industry')
    await waitState(page, P, `park||industry|year|${Y}`)
    const inds = await checkGroups('by industry', 'industry', {})
    // Drill into an industry: its enterprises / 下钻到行业
    const indLink = page.locator('[data-testid=drill-table] a[data-role=drill]').first()
    const ind = await indLink.evaluate((a) => a.closest('tr').dataset.group)
    r.expect(`${tag}: industry ${ind} is an API group`, inds.some((x) => x.group === ind))
    await indLink.click()
    await waitState(page, P, `industry|${ind}|enterprise|year|${Y}`)
    await checkLevelKpis(`industry ${ind}`, 'industry', { industry: ind }, ind)
    await checkGroups(`industry ${ind} enterprises`, 'enterprise', { industry: ind })
    await page.locator('[data-testid=crumbs] a[data-crumb=root]').click()
    await waitState(page, P, `park||industry|year|${Y}`)
    await select(page, 'grouping', 'enterprise')
    await waitState(page, P, `park||enterprise|year|${Y}`)
    await checkGroups('by enterprise', 'enterprise', {})
  }

  // Period = month: the table behind the chart has a column per month.
  await select(page, 'grouping', 'zone')
  await checkZoneMonths({ page, get, r, tag, P, Y, loc, value: tce })

  // CSV of the chart's table: raw numbers / CSV 为原始数值
  {
    const panel = page.locator('[data-testid=panel-group]')
    const csv = await downloadCsv(page, panel)
    r.expect(`${tag}: CSV has a BOM`, csv.bom)
    r.expectEq(`${tag}: CSV header in the page's language`, csv.rows[0][2], loc === 'zh-CN' ? '能耗（tce）' : 'Energy (tce)')
    r.expectEq(`${tag}: CSV rows = API rows`, csv.rows.length - 1, zones.length)
    r.expectEq(`${tag}: CSV row 1 code = API`, csv.rows[1][1], zones[0].group)
    r.expectEq(`${tag}: CSV row 1 tce is the raw API number`, Number(csv.rows[1][2]), tce(zones[0]))
    const mp = page.locator('[data-testid=panel-monthly]')
    const mcsv = await downloadCsv(page, mp)
    const months = await get(q('/energy', { by: 'park', period: 'month', year: Y }))
    r.expectEq(`${tag}: monthly CSV row 1 tce is the raw API number`, Number(mcsv.rows[1][1]), tce(months.rows[0]))
  }

  // Drill-down park -> zone -> enterprise -> meters / 下钻
  const zoneLink = page.locator('[data-testid=drill-table] a[data-role=drill]').first()
  const zone = await zoneLink.evaluate((a) => a.closest('tr').dataset.group)
  await zoneLink.click()
  await waitState(page, P, `zone|${zone}|enterprise|year|${Y}`)
  r.expect(`${tag}: zone level in the path`, page.url().endsWith(`/energy/zone/${zone}`), page.url())
  await checkLevelKpis(`zone ${zone}`, 'zone', { zone }, zone)
  const ents = await checkGroups(`zone ${zone} enterprises`, 'enterprise', { zone })
  r.expectEq(`${tag}: breadcrumb has park and zone`, await page.locator('[data-testid=crumbs] [data-crumb]').count(), 2)
  if (loc === 'zh-CN') await shot('zone')

  const entLink = page.locator('[data-testid=drill-table] a[data-role=drill]').first()
  const ent = await entLink.evaluate((a) => a.closest('tr').dataset.group)
  r.expectEq(`${tag}: first enterprise = API's biggest`, ent, ents[0].group)
  await entLink.click()
  await waitState(page, P, `enterprise|${ent}|carrier|year|${Y}`)
  await checkLevelKpis(`enterprise ${ent}`, 'enterprise', { enterprise: ent }, ent)
  await checkGroups(`enterprise ${ent} carriers`, 'carrier', { enterprise: ent })
  r.expectEq(`${tag}: enterprise page link`, await page.locator('[data-testid=open-enterprise]').getAttribute('href'), `/app/enterprises/${ent}`)
  r.expectEq(`${tag}: breadcrumb has park, zone, enterprise`, await page.locator('[data-testid=crumbs] [data-crumb]').count(), 3)

  await checkMeters(page, get, r, tag, P, ent, Y, 'carrier', loc)
  if (loc === 'zh-CN') await shot('enterprise-meters')

  // Back up with the breadcrumb / 通过面包屑返回
  await page.locator('[data-testid=crumbs] a[data-crumb=zone]').click()
  await waitState(page, P, `zone|${zone}|enterprise|year|${Y}`)
  r.ok(`${tag}: breadcrumb back to the zone`)
  await page.locator('[data-testid=crumbs] a[data-crumb=root]').click()
  await waitState(page, P, `park||zone|year|${Y}`)
  r.expectEq(`${tag}: back at the park level, energy = API`, (await kpiText('kpi-energy').textContent()).trim(), fmtN(loc, tce(park)))
}

// Meter level: the meters of the shown carrier with their yearly sums, then per month, and the CSV.
export async function checkMeters(page, get, r, tag, P, ent, Y, grouping, loc) {
  const from = `${Y}-01-01`, to = `${Y + 1}-01-01`
  const sums = await get(q('/sums', { by: 'meter', enterprise: ent, period: 'year', from, to }))
  const panel = page.locator('[data-testid=panel-meters]')
  const carrier = await page.locator('[data-testid=meter-carrier]').inputValue()
  r.expectEq(`${tag} meters: electricity first`, carrier, sums.rows.some((x) => x.carrier === 'electricity') ? 'electricity' : carrier)
  await panel.locator('[data-role=show-table]').click()
  const cells = await tableRows(panel)
  const want = sums.rows.filter((x) => x.carrier === carrier)
  const shown = new Map(cells.map((c) => [c[0], c]))
  let bad = 0
  for (const x of want) {
    const c = shown.get(x.group)
    if (!c || c[4] !== fmtAmount(loc, x.value)) { bad++; r.fail(`${tag} meters: ${x.group}`, `shown ${c?.[4]}, API ${x.value}`) }
  }
  if (!bad) r.ok(`${tag} meters: all ${want.length} ${carrier} meters' sums = /sums by meter`)
  const csv = await downloadCsv(page, panel)
  const row = csv.rows.find((c) => c[0] === want[0]?.group)
  r.expectEq(`${tag} meters: CSV raw sum = API`, Number(row?.[4]), want[0]?.value)
  await panel.locator('[data-role=show-chart]').click()

  // Per month / 按月
  await select(page, 'period', 'month')
  await waitState(page, P, `enterprise|${ent}|${grouping}|month|${Y}`)
  const ms = await get(q('/sums', { by: 'meter', enterprise: ent, period: 'month', from, to }))
  const p2 = page.locator('[data-testid=panel-meters]')
  await p2.locator('[data-role=show-table]').click()
  const mc = await tableRows(p2)
  const first = mc[0]
  const jan = ms.rows.find((x) => x.group === first[0] && String(x.period).startsWith(`${Y}-01`))
  const feb = ms.rows.find((x) => x.group === first[0] && String(x.period).startsWith(`${Y}-02`))
  r.expectEq(`${tag} meters monthly: ${first[0]} January = API`, first[3], fmtAmount(loc, jan?.value ?? null))
  r.expectEq(`${tag} meters monthly: ${first[0]} February = API`, first[4], fmtAmount(loc, feb?.value ?? null))
  await p2.locator('[data-role=show-chart]').click()
  await select(page, 'period', 'year')
  await waitState(page, P, `enterprise|${ent}|${grouping}|year|${Y}`)
}
