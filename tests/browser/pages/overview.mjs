// Park overview / 园区总览: KPIs equal /api/v1/carbon/core, the top consumers' table and CSV equal
// /api/v1/energy?by=enterprise.
import { readFileSync } from 'node:fs'
import { fmt, fmtPct } from '../lib.mjs'

export const name = 'overview'

export async function check({ page, get, results: r, shot }, loc) {
  const year = Number(String((await get('/energy?by=carrier')).from).slice(0, 4))
  const core = await get(`/carbon/core?year=${year}`)
  const kpi = (id) => page.locator(`[data-testid=${id}] .kpi-value`)
  r.expect(`overview [${loc}]: year in the title / 标题年份`, (await page.locator('[data-testid=overview-title]').textContent()).includes(String(year)))
  r.expectEq(`overview [${loc}]: energy tce = /carbon/core tce.equivalent`, (await kpi('kpi-energy').textContent()).trim(), fmt(loc, core.tce.equivalent))
  r.expectEq(`overview [${loc}]: carbon tCO2 = /carbon/core tco2.location`, (await kpi('kpi-carbon').textContent()).trim(), fmt(loc, core.tco2.location))
  r.expectEq(`overview [${loc}]: tCO2/tce = /carbon/core`, (await kpi('kpi-intensity').textContent()).trim(), fmt(loc, core.tco2_per_tce.location.equivalent, 3))
  r.expectEq(`overview [${loc}]: energy data-value exact`, Number(await kpi('kpi-energy').getAttribute('data-value')), core.tce.equivalent)

  // Today (or the latest day with readings) / 今日: the figures of /api/v1/today. The live feed may
  // move them between the page's request and ours: compare with the page's exact data-value first,
  // then check the API agrees for the same day (as_of unchanged) or has moved on.
  const today = await get('/today')
  const shownDate = await page.locator('[data-testid=today-title]').textContent()
  r.expect(`overview [${loc}]: today's title names the day / 当日标题`, shownDate.includes(today.date.slice(0, 4)), shownDate)
  const exact = Number(await kpi('kpi-today-energy').getAttribute('data-value'))
  r.expectEq(`overview [${loc}]: today's tce shown = its data-value`, (await kpi('kpi-today-energy').textContent()).trim(), fmt(loc, exact))
  if (!today.live) {
    r.expectEq(`overview [${loc}]: today's tce = /today energy.tce.equivalent`, exact, today.energy.tce.equivalent)
    r.expectEq(`overview [${loc}]: today's tCO2 = /today`, (await kpi('kpi-today-carbon').textContent()).trim(), fmt(loc, today.carbon.total_tco2.location))
    r.expectEq(`overview [${loc}]: load kW = /today load.latest_kw`, (await kpi('kpi-load').textContent()).trim(), fmt(loc, today.load.latest_kw, 0))
    r.expectEq(`overview [${loc}]: completeness = /today`, (await kpi('kpi-today-completeness').textContent()).trim(), fmtPct(loc, today.completeness.ratio))
  } else {
    r.expect(`overview [${loc}]: live tce within the API's day so far`, exact > 0 && exact <= today.energy.tce.equivalent + 1e-9, `${exact} vs ${today.energy.tce.equivalent}`)
    r.expect(`overview [${loc}]: live load shown`, Number(await kpi('kpi-load').getAttribute('data-value')) > 0)
  }
  if (loc !== 'zh-CN') return

  // The load chart's table: the first hour equals the API's.
  const load = page.locator('[data-testid=panel-load]')
  await load.locator('[data-role=show-table]').click()
  const complete = today.load.hours.filter((h) => h.complete)
  r.expectEq('overview: load table rows = complete hours of /today', await load.locator('tbody tr').count(), complete.length)
  if (complete.length) {
    const cells = load.locator('tbody tr').first().locator('td')
    r.expectEq('overview: load table hour 1 = /today', (await cells.nth(0).textContent()).trim(), complete[0].hour.slice(11, 16))
    r.expectEq('overview: load table kW 1 = /today', (await cells.nth(1).textContent()).trim(), fmt(loc, complete[0].kw, 0))
  }
  await load.locator('[data-role=show-chart]').click()

  // Big-screen mode / 大屏模式.
  await page.click('[data-testid=screen-enter]')
  await page.waitForSelector('[data-testid=page-overview].screen [data-testid=screen-exit]')
  r.ok('overview: big-screen mode opens / 大屏模式')
  await page.setViewportSize({ width: 1920, height: 1080 })
  await page.waitForTimeout(300)
  await shot('big-screen')
  await page.setViewportSize({ width: 1400, height: 1000 })
  await page.click('[data-testid=screen-exit]')
  await page.waitForSelector('[data-testid=page-overview]:not(.screen) [data-testid=screen-enter]')
  r.expect('overview: big-screen mode closes / 退出大屏', page.url().endsWith('/overview'), page.url())

  const ent = await get(`/energy?by=enterprise&year=${year}`)
  const top = ent.rows.filter((x) => x.group !== 'PARK').sort((a, b) => b.tce.equivalent - a.tce.equivalent)[0]
  const panel = page.locator('[data-testid=panel-top]')
  await panel.locator('[data-role=show-table]').click()
  const firstRow = panel.locator('tbody tr').first()
  r.expectEq('overview: top consumer #1 code = API', (await firstRow.locator('td').nth(2).textContent()).trim(), top.group)
  r.expectEq('overview: top consumer #1 tce = API', (await firstRow.locator('td').nth(3).textContent()).trim(), fmt(loc, top.tce.equivalent))
  r.expect('overview: top table has at most 10 rows', (await panel.locator('tbody tr').count()) <= 10)
  const [download] = await Promise.all([page.waitForEvent('download'), panel.locator('[data-role=export-csv]').click()])
  const csv = readFileSync(await download.path(), 'utf8')
  const lines = csv.replace(/^\ufeff/, '').trim().split(/\r\n/)
  r.expectEq('overview: CSV has a BOM / CSV 带 BOM', csv.charCodeAt(0), 0xfeff)
  r.expectEq('overview: CSV header is Chinese / CSV 表头为中文', lines[0].split(',')[1], '企业')
  r.expectEq('overview: CSV row 1 tce is the raw API number', Number(lines[1].split(',')[3]), top.tce.equivalent)
  await panel.locator('[data-role=show-chart]').click()
}
