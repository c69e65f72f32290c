// Green power / 绿电溯源: the KPIs equal /api/v1/green/matching (same period and subject), the
// supply-vs-demand table's first hour and the heat map table's first cells (matched / consumption)
// equal its hours; switching the subject (park or an enterprise) shows that subject's figures.
// The demo's live feed may move today's totals between the page's request and ours: on a
// difference the page is refreshed (its refresh button) and compared again with a new answer.
import { fmt, fmtPct } from '../lib.mjs'

export const name = 'green'

const root = '[data-testid=page-green]'

async function waitSubject(page, code) {
  await page.waitForSelector(`${root}[data-ready=true][data-subject="${code}"]`, { timeout: 30000 })
}

async function compare(ctx, loc, label) {
  const { page, get, results: r } = ctx
  const period = await get('/completeness/summary?by=day')
  const subject = await page.locator(root).getAttribute('data-subject')
  const q = `/green/matching?from=${period.from}&to=${period.to}&hours=true${subject ? `&enterprise=${subject}` : ''}`
  const kpis = [['kpi-hourly', 'hourly_share', (v) => fmtPct(loc, v, 2)], ['kpi-annual', 'annual_share', (v) => fmtPct(loc, v, 2)],
    ['kpi-matched', 'matched_kwh', (v) => fmt(loc, v, 1)], ['kpi-residual', 'residual_kwh', (v) => fmt(loc, v, 1)]]
  let api = null
  let fig = null
  for (let attempt = 0; attempt < 3; attempt++) {
    api = await get(q)
    fig = subject ? api.enterprises.find((e) => e.code === subject) : api.park
    if (!fig) break
    const shown = await Promise.all(kpis.map(([id]) => page.locator(`[data-testid=${id}] .kpi-value`).getAttribute('data-value')))
    if (kpis.every(([, key], i) => Number(shown[i]) === fig[key])) break
    await page.click('[data-testid=green-refresh]')
    await waitSubject(page, subject)
  }
  r.expect(`green [${loc}] ${label}: the API has the subject's figures / 有对象数据`, !!fig, `subject ${subject}`)
  if (!fig) return null
  r.expect(`green [${loc}] ${label}: restricted roles get no park block / 受限角色无园区数据`,
    ['officer', 'enterprise'].includes(ctx.role) ? api.park === undefined : api.park !== undefined)
  for (const [id, key, f] of kpis) {
    const v = page.locator(`[data-testid=${id}] .kpi-value`)
    r.expectEq(`green [${loc}] ${label}: ${id} data-value = API ${key}`, Number(await v.getAttribute('data-value')), fig[key])
    r.expectEq(`green [${loc}] ${label}: ${id} shown = API ${key}`, (await v.textContent()).trim(), f(fig[key]))
  }

  // Supply vs demand by hour: the table's first row is the API's first hour.
  const h0 = api.hours[0]
  const supply = page.locator('[data-testid=panel-supply]')
  await supply.locator('[data-role=show-table]').click()
  r.expectEq(`green [${loc}] ${label}: hourly table rows = API hours`, await supply.locator('tbody tr').count(), api.hours.length)
  const cells = supply.locator('tbody tr').first().locator('td')
  r.expect(`green [${loc}] ${label}: hourly row 1 hour`, (await cells.nth(0).textContent()).includes(h0.hour.slice(11, 16)))
  const keys = ['consumption_kwh', 'generation_kwh', 'matched_kwh', 'residual_kwh']
  for (let i = 0; i < keys.length; i++) {
    r.expectEq(`green [${loc}] ${label}: hourly row 1 ${keys[i]} = API`, (await cells.nth(i + 1).textContent()).trim(), fmt(loc, h0[keys[i]], 1))
  }
  await supply.locator('[data-role=show-chart]').click()

  // Heat map: first day, hours 00..23 = matched / consumption (— when nothing was consumed).
  const heat = page.locator('[data-testid=panel-heatmap]')
  await heat.locator('[data-role=show-table]').click()
  const days = new Set(api.hours.map((h) => h.hour.slice(0, 10)))
  r.expectEq(`green [${loc}] ${label}: heat map rows = days`, await heat.locator('tbody tr').count(), days.size)
  const hc = heat.locator('tbody tr').first().locator('td')
  const firstDay = api.hours.filter((h) => h.hour.slice(0, 10) === h0.hour.slice(0, 10))
  const want = firstDay.map((h) => fmtPct(loc, h.consumption_kwh > 0 ? h.matched_kwh / h.consumption_kwh : null, 1))
  const got = []
  for (let i = 0; i < firstDay.length; i++) got.push((await hc.nth(1 + Number(firstDay[i].hour.slice(11, 13))).textContent()).trim())
  r.expectEq(`green [${loc}] ${label}: heat map day 1 = matched/consumption`, got.join(' '), want.join(' '))
  await heat.locator('[data-role=show-chart]').click()
  return api
}

export async function check(ctx, loc) {
  const { page, results: r, role, shot } = ctx
  const parkWide = ['admin', 'analyst', 'auditor'].includes(role)
  const start = await page.locator(root).getAttribute('data-subject')
  r.expect(`green [${loc}]: default subject (park for park-wide roles) / 默认对象`, parkWide ? start === '' : start !== '', start)
  const api = await compare(ctx, loc, parkWide ? 'park' : start)
  if (loc !== 'zh-CN' || !api) return

  const select = page.locator('[data-testid=green-subject]')
  const values = await select.locator('option').evaluateAll((os) => os.map((o) => o.value))
  if (parkWide) {
    r.expectEq('green: the selector has the park and every enterprise / 全园区与全部企业', values.length, api.enterprises.length + 1)
    const rows = page.locator('[data-testid=green-enterprises] tbody tr')
    r.expectEq('green: enterprise table rows = API enterprises', await rows.count(), api.enterprises.length)
    const top = [...api.enterprises].sort((a, b) => b.consumption_kwh - a.consumption_kwh)[0]
    const c = rows.first().locator('td')
    r.expectEq('green: enterprise table #1 (by consumption) code', (await c.nth(1).textContent()).trim(), top.code)
    r.expectEq('green: enterprise table #1 hourly share', (await c.nth(5).textContent()).trim(), fmtPct(loc, top.hourly_share, 2))
    r.expectEq('green: enterprise table #1 annual share', (await c.nth(6).textContent()).trim(), fmtPct(loc, top.annual_share, 2))
  } else {
    r.expect('green: restricted selector has no park option / 无全园区选项', !values.includes(''), values.join(','))
  }
  const other = values.find((v) => v !== start)
  if (other !== undefined) {
    await select.selectOption(other)
    await waitSubject(page, other)
    r.ok(`green: subject switched to ${other || 'park'} / 切换对象`)
    await compare(ctx, loc, other || 'park')
    await shot('subject')
    if (parkWide) {
      // A row of the enterprise table opens that enterprise too.
      const row = page.locator('[data-testid=green-enterprises] tbody tr').nth(1)
      const code = (await row.locator('td').nth(1).textContent()).trim()
      await row.click()
      await waitSubject(page, code)
      r.expectEq('green: enterprise row click selects it / 点击企业行', await select.inputValue(), code)
    }
    await select.selectOption(start)
    await waitSubject(page, start)
  }
}
