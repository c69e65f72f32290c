// Enterprises / 企业: the list shows exactly the enterprises the role may see with the API's figures;
// search, sort and CSV export work; an enterprise's page shows the API's KPIs, every meter in its
// parent/sub-meter tree with the year's sums, the carrier table of /energy?by=carrier, and the
// derivation with the factor sources. Enterprise users land on their own page.
import { readFileSync } from 'node:fs'
import { fmt, fmtPct } from '../lib.mjs'

export const name = 'enterprises'

const READY = '[data-testid=page-enterprises][data-ready=true]'

// Polls a locator's trimmed text until it equals `want` (figures re-render after an interaction).
async function textOf(loc, want, timeout = 5000) {
  const end = Date.now() + timeout
  let got = null
  for (;;) {
    got = ((await loc.textContent({ timeout })) || '').trim()
    if (want === undefined || got === want || Date.now() > end) return got
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function waitFor(fn, timeout = 5000) {
  const end = Date.now() + timeout
  for (;;) {
    const v = await fn()
    if (v || Date.now() > end) return v
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function download(page, button) {
  const [d] = await Promise.all([page.waitForEvent('download'), button.click()])
  return { name: d.suggestedFilename(), text: readFileSync(await d.path(), 'utf8') }
}

function csvLines(text) { return text.replace(/^\ufeff/, '').trim().split(/\r\n/) }
// Splits one CSV line (quoted cells may hold commas).
function csvCells(line) {
  const out = []
  let cur = '', q = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (q) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++ } else if (c === '"') q = false
      else cur += c
    } else if (c === '"') q = true
    else if (c === ',') { out.push(cur); cur = '' } else cur += c
  }
  out.push(cur)
  return out
}

async function ensureList(page) {
  if (await page.locator('[data-testid=page-enterprises][data-view=detail]').count()) {
    await page.click('[data-testid=ent-back]')
    await page.waitForSelector('[data-testid=page-enterprises][data-view=list][data-ready=true]')
  }
}

async function setMethods(page, method, scope2) {
  await page.selectOption('[data-testid=page-enterprises] [data-testid=method]', method)
  await page.selectOption('[data-testid=page-enterprises] [data-testid=scope2]', scope2)
}

// The list / 列表
async function checkList(ctx, loc, method, scope2) {
  const { page, get, role, me, results: r } = ctx
  const P = `enterprises [${loc}]`
  const latest = Number(String((await get('/energy?by=enterprise')).from).slice(0, 4))
  const year = Number(await page.locator('[data-testid=ent-year]').inputValue())
  r.expectEq(`${P}: year = latest year with readings (/energy)`, year, latest)
  const [entsR, energy, carbon] = await Promise.all([
    get('/enterprises?limit=5000'), get(`/energy?by=enterprise&year=${year}`), get(`/carbon?by=enterprise&year=${year}`),
  ])
  const ents = entsR.enterprises
  const eBy = new Map(energy.rows.map((x) => [x.group, x]))
  const cBy = new Map(carbon.rows.map((x) => [x.group, x]))
  const rows = page.locator('[data-testid=ent-row]')
  r.expectEq(`${P}: list rows = visible enterprises of the API (${entsR.total})`, await rows.count(), entsR.total)
  r.expectEq(`${P}: count shown`, Number(await page.locator('[data-testid=ent-count]').getAttribute('data-value')), entsR.total)
  if (role === 'officer') {
    const zs = new Set(me.zones || [])
    r.expect(`${P}: officer sees only his zones`, ents.every((e) => zs.has(e.zone_code)), `zones ${[...zs]}`)
  }

  // Figures of the first rows / 前几行的数字
  const want = (code) => {
    const e = eBy.get(code), c = cBy.get(code)
    return {
      tce: fmt(loc, e?.tce?.[method] ?? null), tco2: fmt(loc, c?.total_tco2?.[scope2] ?? null),
      intensity: fmt(loc, c?.tco2_per_tce?.[scope2]?.[method] ?? null, 3), per10k: fmt(loc, e?.intensity_tce_per_10k_cny?.[method] ?? null, 3),
      raw: e?.tce?.[method] ?? null,
    }
  }
  const n = Math.min(5, await rows.count())
  let bad = []
  for (let i = 0; i < n; i++) {
    const row = rows.nth(i)
    const code = await row.getAttribute('data-code')
    const w = want(code)
    const ent = ents.find((x) => x.code === code)
    const cell = async (k) => ((await row.locator(`td[data-col=${k}]`).textContent()) || '').trim()
    const got = { tce: await cell('tce'), tco2: await cell('tco2'), intensity: await cell('intensity'), per10k: await cell('per10k') }
    for (const k of Object.keys(got)) if (got[k] !== w[k]) bad.push(`${code} ${k}: ${got[k]} != ${w[k]}`)
    const dv = await row.locator('td[data-col=tce]').getAttribute('data-value')
    if ((dv === null ? null : Number(dv)) !== w.raw) bad.push(`${code} tce data-value ${dv} != ${w.raw}`)
    const text = await row.textContent()
    if (!ent || !text.includes(ent.name) || !text.includes(ent.industry_code) || !text.includes(ent.zone_code)) bad.push(`${code}: name/industry/zone`)
  }
  r.expect(`${P}: first ${n} rows' figures = API (${method}, ${scope2})`, bad.length === 0, bad.slice(0, 4).join('; '))

  // Sort by energy, descending / 按能耗降序
  const th = page.locator('[data-testid=ent-sort-tce]')
  for (let i = 0; i < 2 && (await th.getAttribute('aria-sort')) !== 'descending'; i++) await th.click()
  r.expectEq(`${P}: energy header sorted descending`, await th.getAttribute('aria-sort'), 'descending')
  const visible = new Set(ents.map((e) => e.code))
  const ranked = energy.rows.filter((x) => visible.has(x.group)).sort((a, b) => (b.tce[method] ?? -1) - (a.tce[method] ?? -1))
  const top = ranked[0]
  r.expectEq(`${P}: sorted by energy, first row = API's largest`, await rows.first().getAttribute('data-code'), top.group)
  r.expectEq(`${P}: largest consumer's tce`, await textOf(rows.first().locator('td[data-col=tce]')), fmt(loc, top.tce[method]))
  if (ranked.length > 1) r.expectEq(`${P}: second row = API's second`, await rows.nth(1).getAttribute('data-code'), ranked[1].group)

  // CSV export of the list as shown / 导出
  const csv = await download(page, page.locator('[data-testid=ent-export]'))
  const lines = csvLines(csv.text)
  r.expectEq(`${P}: CSV has a BOM`, csv.text.charCodeAt(0), 0xfeff)
  r.expectEq(`${P}: CSV rows = list rows`, lines.length - 1, entsR.total)
  r.expectEq(`${P}: CSV header in the page's language`, csvCells(lines[0])[0], loc === 'en' ? 'Credit code' : '统一社会信用代码')
  const c1 = csvCells(lines[1])
  r.expectEq(`${P}: CSV row 1 = largest consumer`, c1[0], top.group)
  r.expectEq(`${P}: CSV row 1 tce is the raw API number`, Number(c1[7]), top.tce[method])
  r.expectEq(`${P}: CSV row 1 tCO2 is the raw API number`, Number(c1[8]), cBy.get(top.group)?.total_tco2?.[scope2])

  // Search / 搜索: by credit code, then by a part of a name.
  const search = page.locator('[data-testid=ent-search]')
  const target = ents[Math.floor(ents.length / 2)]
  await search.fill(target.code.toLowerCase())
  await waitFor(async () => (await rows.count()) === 1)
  r.expectEq(`${P}: search by credit code -> 1 row`, await rows.count(), 1)
  r.expectEq(`${P}: search by credit code -> that enterprise`, await rows.first().getAttribute('data-code'), target.code)
  const part = target.name.slice(2, 4)
  const wantN = ents.filter((e) => e.name.includes(part) || e.code.toLowerCase().includes(part.toLowerCase())).length
  await search.fill(part)
  await waitFor(async () => (await rows.count()) === wantN)
  r.expectEq(`${P}: search "${part}" -> ${wantN} rows`, await rows.count(), wantN)
  await search.fill('')
  await waitFor(async () => (await rows.count()) === entsR.total)
  return { ents, year, top }
}

// One enterprise / 企业详情
async function checkDetail(ctx, loc, code, year, method, scope2) {
  const { page, get, results: r } = ctx
  const P = `enterprises [${loc}] ${code}`
  const [ent, ey, cy, ec, ms, ss] = await Promise.all([
    get(`/enterprises/${code}`),
    get(`/energy?by=enterprise&enterprise=${code}&year=${year}`),
    get(`/carbon?by=enterprise&enterprise=${code}&year=${year}`),
    get(`/energy?by=carrier&enterprise=${code}&year=${year}`),
    get(`/meters?enterprise=${code}&limit=5000`),
    get(`/sums?by=meter&enterprise=${code}&period=year&from=${year}-01-01&to=${year + 1}-01-01`),
  ])
  r.expectEq(`${P}: name`, await textOf(page.locator('[data-testid=ent-name]')), ent.name)
  r.expectEq(`${P}: code`, await textOf(page.locator('[data-testid=ent-code]')), code)
  r.expectEq(`${P}: land area`, Number(await page.locator('[data-testid=ent-land]').getAttribute('data-value')), ent.land_area_mu)

  // KPIs / 指标
  const e = ey.rows.find((x) => x.group === code)
  const c = cy.rows.find((x) => x.group === code)
  const kv = (id) => page.locator(`[data-testid=${id}] .kpi-value`)
  const kpis = [
    ['kpi-tce-equivalent', e.tce.equivalent, fmt(loc, e.tce.equivalent)],
    ['kpi-tce-coal_equivalent', e.tce.coal_equivalent, fmt(loc, e.tce.coal_equivalent)],
    ['kpi-co2-location', c.total_tco2.location, fmt(loc, c.total_tco2.location)],
    ['kpi-co2-market', c.total_tco2.market, fmt(loc, c.total_tco2.market)],
    ['kpi-intensity', c.tco2_per_tce[scope2][method], fmt(loc, c.tco2_per_tce[scope2][method], 3)],
    ['kpi-elec', e.electricity_share[method], fmtPct(loc, e.electricity_share[method])],
    ['kpi-per10k', e.intensity_tce_per_10k_cny[method], fmt(loc, e.intensity_tce_per_10k_cny[method], 3)],
  ]
  for (const [id, raw, text] of kpis) {
    r.expectEq(`${P}: ${id} shown = API`, await textOf(kv(id), text), text)
    const dv = await kv(id).getAttribute('data-value')
    r.expectEq(`${P}: ${id} data-value exact`, dv === null ? null : Number(dv), raw)
  }

  // Meter tree / 计量表树
  const meters = ms.meters
  const codes = new Set(meters.map((m) => m.code))
  const sums = new Map(ss.rows.map((x) => [x.group, x]))
  const nodes = await page.locator('[data-testid=ent-meters] li[data-testid=meter-node]').evaluateAll((els) => els.map((el) => ({
    code: el.dataset.code,
    parent: el.parentElement.closest('li[data-testid=meter-node]')?.dataset.code || '',
    fed: el.querySelector(':scope > .node [data-role=fed-from]')?.textContent || null,
    formula: el.querySelector(':scope > [data-role=formula]')?.textContent || null,
    gen: !!el.querySelector(':scope > .node [data-role=generation]'),
    virt: !!el.querySelector(':scope > .node [data-role=virtual]'),
    sum: el.querySelector(':scope > .node [data-role=sum]')?.getAttribute('data-value'),
    sumText: el.querySelector(':scope > .node [data-role=sum]')?.textContent.trim() || '',
  })))
  const byCode = new Map(nodes.map((x) => [x.code, x]))
  r.expectEq(`${P}: meter tree has every meter once (${meters.length})`, nodes.length === meters.length && byCode.size === meters.length, true)
  const bad = []
  for (const m of meters) {
    const n = byCode.get(m.code)
    if (!n) { bad.push(`${m.code} missing`); continue }
    const inside = m.parent_code && codes.has(m.parent_code)
    if (n.parent !== (inside ? m.parent_code : '')) bad.push(`${m.code} under '${n.parent}', parent_code '${m.parent_code}'`)
    if (m.parent_code && !inside && !(n.fed || '').includes(m.parent_code)) bad.push(`${m.code} does not show it is fed from ${m.parent_code}`)
    if (m.kind === 'virtual' && !(n.virt && (n.formula || '').includes(m.formula.trim()))) bad.push(`${m.code} virtual formula`)
    if ((m.flow === 'generation') !== n.gen) bad.push(`${m.code} generation mark`)
    const s = sums.get(m.code)
    if (s) {
      if (Number(n.sum) !== s.value) bad.push(`${m.code} sum ${n.sum} != ${s.value}`)
      if (!n.sumText.startsWith(fmt(loc, s.value))) bad.push(`${m.code} sum text ${n.sumText}`)
    }
  }
  r.expect(`${P}: meter tree nesting, marks and year sums = API`, bad.length === 0, bad.slice(0, 4).join('; '))

  // Carrier table = /energy?by=carrier / 分品种表
  const panel = page.locator('[data-testid=ent-panel-carrier]')
  await panel.locator('[data-role=show-table]').click()
  const trs = panel.locator('tbody tr')
  await trs.first().waitFor()
  const total = ec.rows.reduce((s, x) => s + (x.tce[method] || 0), 0)
  const cbad = []
  for (let i = 0; i < ec.rows.length; i++) {
    const x = ec.rows[i]
    const tds = trs.nth(i).locator('td')
    const got = [((await tds.nth(1).textContent()) || '').trim(), ((await tds.nth(2).textContent()) || '').trim(),
      ((await tds.nth(3).textContent()) || '').trim(), ((await tds.nth(4).textContent()) || '').trim()]
    const want = [fmt(loc, x.amount, 0), x.unit, fmt(loc, x.tce[method]), fmtPct(loc, total > 0 ? x.tce[method] / total : null)]
    if (got.join('|') !== want.join('|')) cbad.push(`${x.group}: ${got.join('|')} != ${want.join('|')}`)
  }
  r.expect(`${P}: carrier table (${ec.rows.length} rows) = /energy?by=carrier`, cbad.length === 0, cbad.slice(0, 3).join('; '))
  const csv = await download(page, panel.locator('[data-role=export-csv]'))
  const lines = csvLines(csv.text)
  r.expectEq(`${P}: carrier CSV row 1 tce raw`, Number(csvCells(lines[1])[3]), ec.rows[0].tce[method])
  await panel.locator('[data-role=show-chart]').click()

  // Monthly table has the year's months / 逐月表
  const mpanel = page.locator('[data-testid=ent-panel-month]')
  await mpanel.locator('[data-role=show-table]').click()
  const em = await get(`/energy?by=enterprise&enterprise=${code}&period=month&year=${year}`)
  await mpanel.locator('tbody tr').first().waitFor()
  r.expectEq(`${P}: month table rows`, await mpanel.locator('tbody tr').count(), em.rows.length)
  r.expectEq(`${P}: month table first month tce`, ((await mpanel.locator('tbody tr').first().locator('td').nth(1).textContent()) || '').trim(), fmt(loc, em.rows[0].tce[method]))
  await mpanel.locator('[data-role=show-chart]').click()

  // Derivation / 推导
  const der = page.locator('[data-testid=ent-derivation]')
  await der.locator('summary').click()
  await page.waitForSelector('[data-testid=ent-derivation][data-loaded=true]', { timeout: 15000 })
  const d = await get(`/energy/derivation?entity=${code}&year=${year}`)
  const rowsUsed = new Map()
  for (const f of d.tce_factors || []) if (f.row?.id) rowsUsed.set(f.row.id, f.row)
  for (const f of d.co2_factors || []) for (const x of f.rows || []) rowsUsed.set(x.id, x)
  const shown = await der.locator('[data-role=source]').evaluateAll((els) => els.map((el) => [el.dataset.id, el.querySelector('[data-role=source-text]').textContent.trim()]))
  const shownBy = new Map(shown)
  const sbad = [...rowsUsed.values()].filter((x) => shownBy.get(x.id) !== x.source.trim()).map((x) => x.id)
  r.expect(`${P}: derivation shows all ${rowsUsed.size} factor rows with their sources`, rowsUsed.size > 0 && sbad.length === 0 && shown.length === rowsUsed.size, sbad.slice(0, 3).join(', '))
  r.expectEq(`${P}: derivation result tce = API`, Number(await der.locator('[data-key=tce_equivalent] td.num').getAttribute('data-value')), d.tce.equivalent)
  const dm = new Set((d.readings || []).map((x) => x.meter))
  r.expectEq(`${P}: derivation lists the meters counted`, await der.locator('[data-testid=ent-deriv-meters] tbody tr').count(), dm.size)
  if (loc === 'zh-CN') {
    const txt = await download(page, der.locator('[data-testid=ent-deriv-text]'))
    r.expect(`${P}: derivation text download`, txt.text.includes(code) && txt.text.includes(String(year)), txt.text.slice(0, 80))
  }
  await ctx.shot(`detail-${loc}`)
  await der.locator('summary').click()
}

// Picks an enterprise with the most to show: a virtual meter, generation, a meter fed from outside.
async function interesting(get, ents, fallback) {
  const ms = (await get('/meters?limit=5000')).meters
  const visible = new Set(ents.map((e) => e.code))
  const own = new Map() // enterprise -> its meter codes
  for (const m of ms) {
    if (!own.has(m.enterprise_code)) own.set(m.enterprise_code, new Set())
    own.get(m.enterprise_code).add(m.code)
  }
  const score = new Map()
  for (const m of ms) {
    if (!visible.has(m.enterprise_code)) continue
    const outside = m.parent_code && !own.get(m.enterprise_code).has(m.parent_code)
    const s = (m.kind === 'virtual' ? 4 : 0) + (m.flow === 'generation' ? 2 : 0) + (outside ? 1 : 0)
    score.set(m.enterprise_code, (score.get(m.enterprise_code) || 0) + s)
  }
  let best = fallback, bs = -1
  for (const [c, s] of score) if (s > bs) { best = c; bs = s }
  return best
}

export async function check(ctx, loc) {
  const { page, role, me, results: r } = ctx
  const P = `enterprises [${loc}]`
  // zh: the default methods; en: the other methods, switched on the page.
  const method = loc === 'en' ? 'coal_equivalent' : 'equivalent'
  const scope2 = loc === 'en' ? 'market' : 'location'

  if (role === 'enterprise') {
    const own = me.enterprise_code
    r.expect(`${P}: enterprise user lands on his own page`, page.url().endsWith('/enterprises/' + own), page.url())
    r.expectEq(`${P}: no link back to a list`, await page.locator('[data-testid=ent-back]').count(), 0)
    await setMethods(page, method, scope2)
    const year = Number(await page.locator('[data-testid=ent-year]').inputValue())
    const latest = Number(String((await ctx.get('/energy?by=enterprise')).from).slice(0, 4))
    r.expectEq(`${P}: year = latest year with readings`, year, latest)
    await checkDetail(ctx, loc, own, year, method, scope2)
    // The list path leads back to the own page / 列表路径回到本企业
    await page.click('[data-nav=enterprises]')
    await page.waitForSelector(READY)
    r.expect(`${P}: /enterprises shows the own enterprise again`, page.url().endsWith('/enterprises/' + own), page.url())
    await setMethods(page, 'equivalent', 'location')
    return
  }

  await ensureList(page)
  await setMethods(page, method, scope2)
  const { ents, year, top } = await checkList(ctx, loc, method, scope2)
  await ctx.shot(`list-${loc}`)

  // Open one enterprise by its row / 点击行进入企业页
  const code = loc === 'en' ? top.group : await interesting(ctx.get, ents, top.group)
  await page.fill('[data-testid=ent-search]', code)
  await waitFor(async () => (await page.locator('[data-testid=ent-row]').count()) === 1)
  const t0 = Date.now()
  await page.locator(`[data-testid=ent-row][data-code="${code}"] td.num`).first().click()
  await page.waitForSelector('[data-testid=page-enterprises][data-view=detail][data-ready=true]', { timeout: 15000 })
  r.ok(`${P}: detail ready in ${Date.now() - t0} ms / 企业页就绪`)
  r.expect(`${P}: row click opens /enterprises/<code>`, page.url().endsWith('/enterprises/' + code), page.url())
  await checkDetail(ctx, loc, code, year, method, scope2)

  // Back to the list, search kept? The list starts afresh but from the cache (no new requests).
  await page.click('[data-testid=ent-back]')
  await page.waitForSelector('[data-testid=page-enterprises][data-view=list][data-ready=true]')
  await page.fill('[data-testid=ent-search]', '')
  r.expectEq(`${P}: back to the list with all rows`, await page.locator('[data-testid=ent-row]').count(), ents.length)
  await setMethods(page, 'equivalent', 'location')
}
