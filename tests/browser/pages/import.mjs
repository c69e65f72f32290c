// Import / 数据导入: upload a fixture CSV (tests/browser/fixtures, filled with a meter the role may
// write and fixed values for 2024-12-31 08:00-09:00, the day before the demo's readings start),
// map its columns, preview: counts, parsed rows and rejected rows equal POST
// /api/v1/imports?dry_run=true and nothing is stored; commit; /api/v1/readings then returns the
// file's values (a second run writes the same values again: no correction). Administrators also import a wide file (interval-end labels, BOM, CRLF), save a
// mapping and load it back. A broken time format is a 400 shown in the error box.
import { readFileSync } from 'node:fs'
import { fmt } from '../lib.mjs'

export const name = 'import'

const ROOT = '[data-testid=page-import]'
const DAY = '2024-12-31'
const FROM = `${DAY}T08:00:00+08:00`
const TO = `${DAY}T09:00:00+08:00`
const fixture = (f) => readFileSync(new URL(`../fixtures/${f}`, import.meta.url), 'utf8')
const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m))

async function ready(page) { await page.waitForSelector(`${ROOT}[data-ready=true]`, { timeout: 30000 }) }

async function postImport(ctx, body, dryRun) {
  const csrf = await ctx.page.evaluate(() => sessionStorage.getItem('zp_csrf'))
  const r = await ctx.page.request.post(`${ctx.base}/api/v1/imports?dry_run=${dryRun}`, {
    headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' }, data: JSON.stringify(body),
  })
  return { status: r.status(), json: await r.json() }
}

async function upload(page, fileName, text) {
  if (await page.locator('[data-testid=reset]').count()) await page.click('[data-testid=reset]')
  await page.setInputFiles('[data-testid=file-input]', { name: fileName, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') })
  await page.waitForSelector('[data-testid=mapping]')
}

// Preview in the page and the same request to the API; the figures shown must equal the API's.
async function preview(ctx, loc, P, csv) {
  const { page, results: r } = ctx
  const mapping = JSON.parse(await page.textContent('[data-testid=mapping-json]'))
  const api = await postImport(ctx, { mapping, csv }, true)
  r.expectEq(`${P}: API dry run answers 200`, api.status, 200)
  await page.click('[data-testid=preview]')
  await page.waitForSelector('[data-testid=preview-result]')
  await ready(page)
  const rep = api.json
  const kpi = (id) => page.locator(`[data-testid=preview-result] [data-testid=${id}] .kpi-value`)
  r.expectEq(`${P}: received = API`, (await kpi('r-received').textContent()).trim(), fmt(loc, rep.received, 0))
  r.expectEq(`${P}: accepted = API`, (await kpi('r-accepted').textContent()).trim(), fmt(loc, rep.accepted, 0))
  r.expectEq(`${P}: rejected = API`, (await kpi('r-rejected').textContent()).trim(), fmt(loc, rep.rejected_total, 0))
  const lines = await page.locator('[data-testid=preview-result] [data-testid=r-rejected-rows] tbody tr').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-line'))))
  r.expectEq(`${P}: rejected lines = API`, lines.join(','), rep.rejected.map((x) => x.line).join(','))
  const reasons = await page.locator('[data-testid=preview-result] [data-testid=r-rejected-rows] tbody td.reason').allTextContents()
  r.expectEq(`${P}: rejected reasons = API`, reasons.map((s) => s.trim()).join(' | '), rep.rejected.map((x) => x.reason).join(' | '))
  const prev = page.locator('[data-testid=preview-result] [data-testid=r-preview] tbody tr')
  r.expectEq(`${P}: parsed rows shown = API preview`, await prev.count(), rep.preview.length)
  if (rep.preview.length) {
    const first = prev.first()
    r.expectEq(`${P}: parsed row 1 time = API`, await first.locator('td').nth(2).getAttribute('data-value'), rep.preview[0].ts)
    r.expectEq(`${P}: parsed row 1 value = API`, (await first.locator('td').nth(3).textContent()).trim(), fmt(loc, rep.preview[0].value, 2))
    r.expectEq(`${P}: parsed row 1 meter = API`, (await first.locator('td').nth(1).textContent()).trim(), rep.preview[0].meter)
  }
  return { mapping, rep }
}

async function commit(ctx, loc, P, rep) {
  const { page, results: r } = ctx
  await page.click('[data-testid=commit]')
  await page.waitForSelector('[data-testid=commit-result]')
  await ready(page)
  const stored = page.locator('[data-testid=commit-result] [data-testid=r-accepted] .kpi-value')
  r.expectEq(`${P}: commit wrote what the preview accepted`, Number(await stored.getAttribute('data-value')), rep.accepted)
  r.expectEq(`${P}: commit count shown`, (await stored.textContent()).trim(), fmt(loc, rep.accepted, 0))
  r.expect(`${P}: commit button disabled after the commit`, await page.locator('[data-testid=commit]').isDisabled())
}

async function readings(get, meter) {
  const rd = await get(`/readings?meter=${encodeURIComponent(meter)}&from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`)
  return rd.readings
}
async function corrections(get, meter) {
  const c = await get(`/corrections?meter=${encodeURIComponent(meter)}&from=${DAY}&to=2025-01-01`)
  return c.corrections.length
}

export async function check(ctx, loc) {
  const { page, get, role, results: r } = ctx
  const P = `import [${loc}]`
  await ready(page)
  const list = (await get('/meters?limit=100000')).meters
  // A meter the role may write: an interval electricity sub-meter of its (first) enterprise.
  const own = list.find((m) => m.kind === 'interval' && /\.EL\.S01$/.test(m.code) && m.unit === 'kWh')
  if (!own) { r.fail(`${P}: a writable interval meter`, 'none in /meters'); return }
  // What the file holds, as /api/v1/readings will return it after the commit.
  const quarter = (i) => `${DAY}T08:${String(i * 15).padStart(2, '0')}:00+08:00`
  const expected = (base) => [0, 1, 2, 3].map((i) => ({ ts: quarter(i), value: base + i * 1.25 }))
  const before = await readings(get, own.code)
  const want = expected(10)
  const vars = { METER: own.code, FOREIGN: role === 'admin' ? 'NO.SUCH.METER' : 'PARK.EL.ADMIN' }
  want.forEach((x, i) => { vars[`V${i}`] = x.value })
  const longCsv = fill(fixture('import-long.csv'), vars)

  if (loc !== 'zh-CN') {
    // English: the same file again, dropped on the drop zone this time; preview only.
    if (await page.locator('[data-testid=reset]').count()) await page.click('[data-testid=reset]')
    await page.evaluate(({ fileName, text }) => {
      const dt = new DataTransfer()
      dt.items.add(new File([text], fileName, { type: 'text/csv' }))
      const el = document.querySelector('[data-testid=drop]')
      el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }))
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }))
    }, { fileName: 'import-long.csv', text: longCsv })
    await page.waitForSelector('[data-testid=mapping]')
    r.expect(`${P}: dropped file read`, (await page.textContent('[data-testid=file-info]')).includes('import-long.csv'))
    await preview(ctx, loc, `${P} long`, longCsv)
    await ctx.shot('preview-en')
    return
  }
  await ctx.shot('empty')

  // Long format, meter in a column.
  await upload(page, 'import-long.csv', longCsv)
  const heads = await page.locator('[data-testid=columns] thead th').allTextContents()
  r.expectEq(`${P}: header read in the browser`, heads.join(','), '时间,表计编码,读数,单位')
  await page.selectOption('[data-testid=m-ts-column]', '时间')
  await page.fill('[data-testid=m-ts-format]', '%Y-%m-%d %H:%M:%S')
  await page.fill('[data-testid=m-time-zone]', 'Asia/Shanghai')
  await page.selectOption('[data-testid=m-label]', 'start')
  await page.selectOption('[data-testid=m-interval]', '900')
  await page.check('[data-testid=m-long]')
  await page.check('[data-testid=m-meter-from-column]')
  await page.selectOption('[data-testid=m-meter-column]', '表计编码')
  await page.selectOption('[data-testid=m-value-column]', '读数')
  await page.selectOption('[data-testid=m-unit-column]', '单位')
  await ctx.shot('mapping')
  const corrBefore = await corrections(get, own.code)
  const { mapping, rep } = await preview(ctx, loc, `${P} long`, longCsv)
  r.expectEq(`${P} long: mapping sent`, JSON.stringify([mapping.timestamp_column, mapping.meter_column, mapping.value_column, mapping.unit_column]),
    JSON.stringify(['时间', '表计编码', '读数', '单位']))
  r.expectEq(`${P} long: 4 good rows`, rep.accepted, 4)
  r.expect(`${P} long: the bad time, the bad value and the foreign meter are rejected`,
    [6, 7, 8].every((l) => rep.rejected.some((x) => x.line === l)), JSON.stringify(rep.rejected))
  r.expect(`${P} long: preview wrote nothing`, (await corrections(get, own.code)) === corrBefore &&
    JSON.stringify(await readings(get, own.code)) === JSON.stringify(before))
  await ctx.shot('preview')
  await commit(ctx, loc, `${P} long`, rep)
  await ctx.shot('committed')
  const after = await readings(get, own.code)
  r.expectEq(`${P} long: stored readings = the file's values (/readings)`, JSON.stringify(after), JSON.stringify(want))
  r.expectEq(`${P} long: equal values make no correction`, await corrections(get, own.code), corrBefore)

  // A broken time format: the request is refused (400) and the error box shows the server's message.
  ctx.allowHttpError(400, /\/api\/v1\/imports\?dry_run=true/)
  await page.fill('[data-testid=m-ts-format]', '%Q')
  const bad = await postImport(ctx, { mapping: JSON.parse(await page.textContent('[data-testid=mapping-json]')), csv: longCsv }, true)
  r.expectEq(`${P}: broken format: API answers 400`, bad.status, 400)
  await page.click('[data-testid=preview]')
  await page.waitForSelector(`${ROOT} [data-testid=error]`)
  await ready(page)
  r.expect(`${P}: broken format: error box shows the server's message`, (await page.textContent(`${ROOT} [data-testid=error]`)).includes(bad.json.error.message), bad.json.error.message)
  r.expectEq(`${P}: broken format: no preview left`, await page.locator('[data-testid=preview-result]').count(), 0)
  await ctx.shot('error')
  await page.fill('[data-testid=m-ts-format]', '%Y-%m-%d %H:%M:%S')

  if (role !== 'admin') return

  // Administrators: save the mapping.
  const mapName = 'browser-test-long'
  await page.fill('[data-testid=m-save-name]', mapName)
  await page.click('[data-testid=m-save]')
  await page.waitForSelector('[data-testid=m-saved-ok]')
  await ready(page)
  const savedMap = await get(`/mappings/${mapName}`)
  r.expectEq(`${P}: saved mapping = the form`, JSON.stringify([savedMap.timestamp_column, savedMap.meter_column, savedMap.value_column, savedMap.unit_column, savedMap.interval_s]),
    JSON.stringify(['时间', '表计编码', '读数', '单位', 900]))

  // Wide format: two meters, interval-end labels, day/month/year, BOM and CRLF.
  const a = own
  const b = list.find((m) => m.code === own.code.replace(/S01$/, 'S02'))
  const ra = expected(10)  // what the long file stored: no correction on a second run
  const rb = expected(30)
  const wv = {}
  ra.forEach((x, i) => { wv[`A${i}`] = x.value })
  rb.forEach((x, i) => { wv[`B${i}`] = x.value })
  const wideCsv = fill(fixture('import-wide.csv'), wv)
  await upload(page, 'import-wide.csv', wideCsv)
  const wheads = await page.locator('[data-testid=columns] thead th').allTextContents()
  r.expectEq(`${P} wide: header read (BOM skipped)`, wheads.join(','), 'datetime,line_a,line_b')
  await page.selectOption('[data-testid=m-ts-column]', 'datetime')
  await page.fill('[data-testid=m-ts-format]', '%d/%m/%Y %H:%M')
  await page.selectOption('[data-testid=m-label]', 'end')
  await page.selectOption('[data-testid=m-interval]', '900')
  await page.check('[data-testid=m-wide]')
  for (const [col, m] of [['line_a', a.code], ['line_b', b.code]]) {
    const row = page.locator(`[data-testid=m-wide-table] tbody tr[data-col=${col}]`)
    await row.locator('[data-role=use]').check()
    await row.locator('[data-role=meter]').fill(m)
    await row.locator('[data-role=unit]').fill('kWh')
  }
  const w = await preview(ctx, loc, `${P} wide`, wideCsv)
  r.expectEq(`${P} wide: 8 good readings`, w.rep.accepted, 8)
  r.expectEq(`${P} wide: interval-end label moves 08:15 to the 08:00 reading`, w.rep.preview[0]?.ts, FROM)
  r.expect(`${P} wide: the impossible date is rejected`, w.rep.rejected.some((x) => x.line === 6), JSON.stringify(w.rep.rejected))
  await ctx.shot('preview-wide')
  await commit(ctx, loc, `${P} wide`, w.rep)
  r.expectEq(`${P} wide: ${a.code} stored = /readings`, JSON.stringify(await readings(get, a.code)), JSON.stringify(ra))
  r.expectEq(`${P} wide: ${b.code} stored = /readings`, JSON.stringify(await readings(get, b.code)), JSON.stringify(rb))

  // Load the saved long mapping back into the form.
  await page.selectOption('[data-testid=m-saved]', mapName)
  await page.click('[data-testid=m-load]')
  r.expect(`${P}: loaded mapping switches to long format`, await page.locator('[data-testid=m-long]').isChecked())
  r.expectEq(`${P}: loaded mapping's time format`, await page.inputValue('[data-testid=m-ts-format]'), '%Y-%m-%d %H:%M:%S')
  const loaded = JSON.parse(await page.textContent('[data-testid=mapping-json]'))
  r.expectEq(`${P}: loaded mapping's meter column`, loaded.meter_column, '表计编码')
}
