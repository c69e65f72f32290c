// Carbon page / 碳排放页面: KPIs (total, Scope 1 fuel and process, Scope 2 location and market,
// year on year, tCO2/tce against /api/v1/carbon/core for park roles), the group table, the tables
// behind the charts and their CSV equal /api/v1/carbon; switching Scope 2 method, tce method,
// grouping and period shows the API's figures for the choice; drill-down park -> zone ->
// enterprise -> meters shows /api/v1/carbon and /api/v1/sums at every level.
import { checkMeters, checkZoneMonths, downloadCsv, drillCell, fmtN, fmtYoy, q, select, tableRows, textSoon, waitState, yearInfo } from './energy.mjs'

export const name = 'carbon'

const PARK_ROLES = ['admin', 'analyst', 'auditor']

export async function check({ page, get, role, me, results: r, shot }, loc) {
  const P = 'carbon'
  const tag = `carbon [${loc}]`
  const { year: Y, hasPrev } = await yearInfo(get)
  const parkRole = PARK_ROLES.includes(role)
  r.expectEq(`${tag}: year shown = latest year with readings`, Number(await page.locator('[data-testid=year]').inputValue()), Y)
  await waitState(page, P, `park||zone|year|${Y}`)
  const kpi = (id) => page.locator(`[data-testid=${id}] .kpi-value`)
  const txt = async (loc_) => ((await loc_.textContent()) || '').trim()
  let S = 'location'
  let M = 'equivalent'
  const total = (x) => x?.total_tco2?.[S] ?? null

  const checkLevelKpis = async (label, by, filter, code) => {
    const ans = await get(q('/carbon', { by, period: 'year', year: Y, ...filter }))
    const row = code ? ans.rows.find((x) => x.group === code) : ans.rows[0]
    r.expectEq(`${tag} ${label}: total = API total_tco2.${S}`, await textSoon(kpi('kpi-total'), fmtN(loc, total(row))), fmtN(loc, total(row)))
    r.expectEq(`${tag} ${label}: total data-value exact`, Number(await kpi('kpi-total').getAttribute('data-value')), total(row))
    r.expectEq(`${tag} ${label}: Scope 1 fuel = API`, await txt(kpi('kpi-s1fuel')), fmtN(loc, row.scope1_fuel_tco2))
    r.expectEq(`${tag} ${label}: Scope 1 process = API`, await txt(kpi('kpi-s1process')), fmtN(loc, row.scope1_process_tco2))
    r.expectEq(`${tag} ${label}: Scope 2 location = API`, await txt(kpi('kpi-s2loc')), fmtN(loc, row.scope2_tco2.location))
    r.expectEq(`${tag} ${label}: Scope 2 market = API`, await txt(kpi('kpi-s2mkt')), fmtN(loc, row.scope2_tco2.market))
    r.expectEq(`${tag} ${label}: year on year = API`, await txt(kpi('kpi-yoy')), fmtYoy(loc, row.yoy[S]))
    let prev = null
    if (hasPrev) {
      const pa = await get(q('/carbon', { by, period: 'year', year: Y - 1, ...filter }))
      const pr = code ? pa.rows.find((x) => x.group === code) : pa.rows[0]
      prev = pr && (pr.tce.equivalent !== 0 || pr.total_tco2.location !== 0) ? total(pr) : null
    }
    r.expectEq(`${tag} ${label}: previous year = API (year ${Y - 1})`, await txt(kpi('kpi-prev')), fmtN(loc, prev))
    let want = row.tco2_per_tce[S][M]
    if (parkRole && by === 'park') {
      const core = await get(`/carbon/core?year=${Y}`)
      want = core.tco2_per_tce[S][M]
      r.expectEq(`${tag} ${label}: target = /carbon/core`, Number(await page.locator('[data-testid=target]').getAttribute('data-value')), core.target_tco2_per_tce)
      r.expectEq(`${tag} ${label}: core indicator = carbon by park`, fmtN(loc, want, 3), fmtN(loc, row.tco2_per_tce[S][M], 3))
    }
    if (!parkRole) r.expectEq(`${tag} ${label}: no park target for ${role}`, await page.locator('[data-testid=target]').count(), 0)
    r.expectEq(`${tag} ${label}: tCO2/tce = API`, await textSoon(kpi('kpi-intensity'), fmtN(loc, want, 3)), fmtN(loc, want, 3))
    return row
  }
  const park = await checkLevelKpis('park', 'park', {}, null)

  const checkGroups = async (label, by, filter) => {
    const ans = await get(q('/carbon', { by, period: 'year', year: Y, ...filter }))
    const rows = by === 'enterprise' ? [...ans.rows].sort((a, b) => (total(b) ?? -Infinity) - (total(a) ?? -Infinity)) : ans.rows
    r.expectEq(`${tag} ${label}: detail rows = API rows`, await page.locator('[data-testid=drill-table] tbody tr').count(), rows.length)
    let bad = 0
    for (const x of rows.slice(0, 5)) {
      const c = await drillCell(page, x.group, 'total')
      const s2 = await drillCell(page, x.group, 's2mkt')
      if (c.text !== fmtN(loc, total(x)) || Number(c.value) !== total(x) || s2.text !== fmtN(loc, x.scope2_tco2.market)) {
        bad++
        r.fail(`${tag} ${label}: ${x.group}`, `shown ${c.text}/${s2.text}, API ${total(x)}/${x.scope2_tco2.market}`)
      }
    }
    if (!bad) r.ok(`${tag} ${label}: first ${Math.min(5, rows.length)} detail rows (total ${S}, Scope 2 market) = API`)
    const panel = page.locator('[data-testid=panel-group]')
    await panel.locator('[data-role=show-table]').click()
    const cells = await tableRows(panel)
    r.expectEq(`${tag} ${label}: chart table row 1 code = API`, cells[0]?.[1], rows[0]?.group)
    r.expectEq(`${tag} ${label}: chart table row 1 total = API`, cells[0]?.[2], fmtN(loc, total(rows[0])))
    await panel.locator('[data-role=show-chart]').click()
    // Location vs market, side by side / 基于位置与基于市场对比
    const mp = page.locator('[data-testid=panel-methods]')
    await mp.locator('[data-role=show-table]').click()
    const mc = await tableRows(mp)
    const x0 = rows[0]
    r.expectEq(`${tag} ${label}: methods table row 1 (Scope 2 loc | mkt | total loc | mkt) = API`, mc[0]?.slice(2, 6).join(' | '),
      [x0.scope2_tco2.location, x0.scope2_tco2.market, x0.total_tco2.location, x0.total_tco2.market].map((v) => fmtN(loc, v)).join(' | '))
    await mp.locator('[data-role=show-chart]').click()
    return rows
  }
  const zones = await checkGroups('by zone', 'zone', {})
  if (role === 'officer') r.expect(`${tag}: officer sees only his zones`, zones.every((z) => me.zones.includes(z.group)), zones.map((z) => z.group).join(','))
  if (role === 'enterprise') r.expectEq(`${tag}: enterprise user sees one zone`, zones.length, 1)

  // Year switch (when the year before has readings) / 切换年份
  if (hasPrev) {
    await select(page, 'year', Y - 1)
    await waitState(page, P, `park||zone|year|${Y - 1}`)
    const before = (await get(q('/carbon', { by: 'park', period: 'year', year: Y - 1 }))).rows[0]
    r.expectEq(`${tag}: year ${Y - 1} total = API`, await txt(kpi('kpi-total')), fmtN(loc, total(before)))
    await select(page, 'year', Y)
    await waitState(page, P, `park||zone|year|${Y}`)
  }

  // Scope 2 method and tce method / 范围二方法与能耗方法
  S = 'market'
  await select(page, 'scope2', 'market')
  r.expectEq(`${tag}: market-based total = API`, await textSoon(kpi('kpi-total'), fmtN(loc, total(park))), fmtN(loc, total(park)))
  const z0 = zones.find((z) => z.group !== 'PARK') || zones[0]
  r.expectEq(`${tag}: market-based zone row = API`, (await drillCell(page, z0.group, 'total')).text, fmtN(loc, total(z0)))
  {
    const panel = page.locator('[data-testid=panel-group]')
    await panel.locator('[data-role=show-table]').click()
    r.expectEq(`${tag}: market-based chart table row 1 = API`, (await tableRows(panel))[0]?.[2], fmtN(loc, total(zones[0])))
    const csv = await downloadCsv(page, panel)
    r.expectEq(`${tag}: market-based CSV row 1 is the raw API number`, Number(csv.rows[1][2]), total(zones[0]))
    await panel.locator('[data-role=show-chart]').click()
  }
  M = 'coal_equivalent'
  await select(page, 'method', 'coal_equivalent')
  const wantI = parkRole ? (await get(`/carbon/core?year=${Y}`)).tco2_per_tce[S][M] : park.tco2_per_tce[S][M]
  r.expectEq(`${tag}: tCO2/tce market, coal-equivalent = API`, await textSoon(kpi('kpi-intensity'), fmtN(loc, wantI, 3)), fmtN(loc, wantI, 3))
  S = 'location'
  M = 'equivalent'
  await select(page, 'scope2', 'location')
  await select(page, 'method', 'equivalent')
  await textSoon(kpi('kpi-total'), fmtN(loc, total(park)))

  // Groupings / 分组
  await select(page, 'grouping', 'carrier')
  await waitState(page, P, `park||carrier|year|${Y}`)
  const carriers = await checkGroups('by carrier', 'carrier', {})
  r.expectEq(`${tag} by carrier: process emissions row as in the API`, await page.locator('[data-testid=drill-table] tr[data-group=process]').count(), carriers.some((c) => c.group === 'process') ? 1 : 0)
  await select(page, 'grouping', 'industry')
  await waitState(page, P, `park||industry|year|${Y}`)
  await checkGroups('by industry', 'industry', {})
  await select(page, 'grouping', 'enterprise')
  await waitState(page, P, `park||enterprise|year|${Y}`)
  await checkGroups('by enterprise', 'enterprise', {})
  await select(page, 'grouping', 'zone')
  await waitState(page, P, `park||zone|year|${Y}`)

  // Monthly trend at the park level, and groups per month / 逐月
  {
    const mon = await get(q('/carbon', { by: 'park', period: 'month', year: Y }))
    const mp = page.locator('[data-testid=panel-monthly]')
    await mp.locator('[data-role=show-table]').click()
    const cells = await tableRows(mp)
    const m0 = mon.rows[0]
    r.expectEq(`${tag} monthly: first month (S1 fuel | process | S2 loc | mkt | total) = API`, cells[0].slice(1, 6).join(' | '),
      [m0.scope1_fuel_tco2, m0.scope1_process_tco2, m0.scope2_tco2.location, m0.scope2_tco2.market, m0.total_tco2.location].map((v) => fmtN(loc, v)).join(' | '))
    const csv = await downloadCsv(page, mp)
    r.expectEq(`${tag} monthly: CSV first month total is the raw API number`, Number(csv.rows[1][5]), m0.total_tco2.location)
    await mp.locator('[data-role=show-chart]').click()
  }
  await checkZoneMonths({ page, get, r, tag, P, Y, loc, value: total })

  // CSV of location vs market / 位置与市场对比 CSV
  {
    const csv = await downloadCsv(page, page.locator('[data-testid=panel-methods]'))
    r.expect(`${tag}: methods CSV has a BOM`, csv.bom)
    r.expectEq(`${tag}: methods CSV rows = API rows`, csv.rows.length - 1, zones.length)
    r.expectEq(`${tag}: methods CSV row 1 Scope 2 market is the raw API number`, Number(csv.rows[1][3]), zones[0].scope2_tco2.market)
  }

  // Drill-down / 下钻
  const zoneLink = page.locator('[data-testid=drill-table] a[data-role=drill]').first()
  const zone = await zoneLink.evaluate((a) => a.closest('tr').dataset.group)
  await zoneLink.click()
  await waitState(page, P, `zone|${zone}|enterprise|year|${Y}`)
  await checkLevelKpis(`zone ${zone}`, 'zone', { zone }, zone)
  const ents = await checkGroups(`zone ${zone} enterprises`, 'enterprise', { zone })
  if (loc === 'zh-CN') await shot('zone')

  const entLink = page.locator('[data-testid=drill-table] a[data-role=drill]').first()
  const ent = await entLink.evaluate((a) => a.closest('tr').dataset.group)
  r.expectEq(`${tag}: first enterprise = API's biggest emitter`, ent, ents[0].group)
  await entLink.click()
  await waitState(page, P, `enterprise|${ent}|carrier|year|${Y}`)
  await checkLevelKpis(`enterprise ${ent}`, 'enterprise', { enterprise: ent }, ent)
  await checkGroups(`enterprise ${ent} carriers`, 'carrier', { enterprise: ent })
  r.expectEq(`${tag}: enterprise page link`, await page.locator('[data-testid=open-enterprise]').getAttribute('href'), `/app/enterprises/${ent}`)
  await checkMeters(page, get, r, tag, P, ent, Y, 'carrier', loc)
  if (loc === 'zh-CN') await shot('enterprise-meters')

  await page.locator('[data-testid=crumbs] a[data-crumb=zone]').click()
  await waitState(page, P, `zone|${zone}|enterprise|year|${Y}`)
  await page.locator('[data-testid=crumbs] a[data-crumb=root]').click()
  await waitState(page, P, `park||zone|year|${Y}`)
  r.expectEq(`${tag}: back at the park level, total = API`, await txt(kpi('kpi-total')), fmtN(loc, total(park)))
}
