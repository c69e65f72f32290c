// Drill-down of the energy and carbon pages / 能耗与碳排放页面的下钻: the level lives in the path
// (router owns everything under the page's prefix), so the browser's back button goes up a level:
//   /energy                                  park (the caller's scope)
//   /energy/zone/Z04, /energy/industry/C36   a zone or an industry: its enterprises
//   /energy[/zone/Z04]/enterprise/CODE       an enterprise: its carriers and meters
// The state and loading of such a page (useDrillPage) and the helpers both pages share; the page
// frame is components/EnergyDrillPage.vue, the breadcrumb components/EnergyDrill.vue.
import { computed, onMounted, ref, shallowRef, watch } from 'vue'
import { fmtNumber, fmtPercent, fmtMonth, pickName, carrierName, t } from './i18n.js'
import { api, session } from './api.js'
import { route, navigate, href } from './router.js'
import { latestOnly } from './util.js'

export const LEVELS = ['zone', 'industry', 'enterprise']

export function parseDrill(path, prefix) {
  const d = {}
  if (!path.startsWith(prefix)) return d
  const segs = path.slice(prefix.length).split('/').filter(Boolean)
  for (let i = 0; i + 1 < segs.length; i += 2) {
    if (!LEVELS.includes(segs[i])) continue
    try { d[segs[i]] = decodeURIComponent(segs[i + 1]) } catch { /* malformed: ignore the level */ }
  }
  if (d.zone && d.industry) delete d.industry
  return d
}

export function levelOf(d) {
  return d.enterprise ? 'enterprise' : d.zone ? 'zone' : d.industry ? 'industry' : 'park'
}

// The API filter of a level: the innermost code only (an enterprise is in its zone anyway).
export function filterOf(d) {
  const l = levelOf(d)
  return l === 'park' ? {} : { [l]: d[l] }
}

export function drillPath(prefix, d) {
  let p = prefix
  if (d.zone) p += '/zone/' + encodeURIComponent(d.zone)
  else if (d.industry) p += '/industry/' + encodeURIComponent(d.industry)
  if (d.enterprise) p += '/enterprise/' + encodeURIComponent(d.enterprise)
  return p
}

// Per page instance: every GET once (drilling back up or switching back is instant). A failed
// request is forgotten so that a retry asks again.
export function makeGetter() {
  const cache = new Map()
  return (path, params = {}) => {
    const key = path + '?' + new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString()
    if (!cache.has(key)) {
      const p = api(path, { params })
      p.catch(() => cache.delete(key))
      cache.set(key, p)
    }
    return cache.get(key)
  }
}

// Years with readings in the caller's scope, newest first: one yearly sum over the park. Kept for
// a few minutes per account so that the second page (energy <-> carbon) starts at once.
let yearsMemo = null // { user, at, years }
export async function loadYears(get) {
  const user = session.user?.id ?? null
  if (yearsMemo && yearsMemo.user === user && Date.now() - yearsMemo.at < 300000) return yearsMemo.years
  const years = await findYears(get)
  yearsMemo = { user, at: Date.now(), years }
  return years
}
async function findYears(get) {
  const now = new Date().getFullYear()
  const s = await get('/sums', { by: 'park', period: 'year', from: '1990-01-01', to: `${now + 2}-01-01` })
  const years = [...new Set((s.rows || []).filter((r) => r.readings > 0).map((r) => Number(String(r.period).slice(0, 4))))]
  years.sort((a, b) => b - a)
  if (years.length) return years
  const e = await get('/energy', { by: 'park' })
  return [Number(String(e.from).slice(0, 4))]
}

export function monthsOf(year) {
  return Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`)
}

// Float noise around zero (-6e-16 after subtractions) is shown as zero, never "-0.0"; data-value
// and CSV keep the API's number.
export function z(v) { return v !== null && v !== undefined && Math.abs(v) < 1e-9 ? 0 : v }

// Year-on-year change with its sign / 同比（带符号）.
export function fmtYoy(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('common.na')
  return (v > 0 ? '+' : '') + fmtPercent(v)
}

// Whether a row has figures: energy rows count their readings; carbon rows (no readings field)
// have energy or emissions.
export function hasData(r) {
  if (!r) return false
  if (r.readings !== undefined) return r.readings !== 0
  return (r.tce?.equivalent || 0) !== 0 || (r.total_tco2?.location || 0) !== 0 || (r.total_tco2?.market || 0) !== 0
}

// The rows of a previous-year answer by group; a group without readings has no figures.
export function prevByGroup(ans) {
  const m = new Map()
  for (const r of ans?.rows || []) if (hasData(r)) m.set(r.group + '|' + String(r.period).slice(5, 7), r)
  return m
}

export const PARK_ROLES = ['admin', 'analyst', 'auditor']

// Meter level of the drill-down / 下钻的计量表层级: an enterprise's meters and their sums for the
// year (or per month), shown by components/EnergyMeterPanel.vue.
export async function loadMeterData(get, enterprise, year, period) {
  const [m, s] = await Promise.all([
    get('/meters', { enterprise, limit: 1000 }),
    get('/sums', { by: 'meter', enterprise, period, from: `${year}-01-01`, to: `${year + 1}-01-01` }),
  ])
  return { meters: m.meters || [], sums: s.rows || [], period, year }
}

// The state and loading of a drill-down page / 下钻页面的状态与加载. `endpoint` is /energy or
// /carbon; `extra(get, year, parkWide)` may add requests (e.g. /carbon/core for park roles only)
// as an object of promises.
// Each load asks, for the level's filter: the level's own row for the year and per month, the
// groups for the year (and per month when period = month), the same for the previous year when it
// has readings, and at the enterprise level the meters and their sums.
export function useDrillPage(prefix, endpoint, extra = () => ({})) {
  const get = makeGetter()
  const parkWide = computed(() => PARK_ROLES.includes(session.user?.role))
  const loading = ref(true)
  const error = ref(null)
  const years = ref([])
  const year = ref(null)
  const period = ref('year') // year | month
  const parkGrouping = ref('zone')
  const subGrouping = ref('enterprise')
  const data = shallowRef(null) // the answers of the last completed load, with what was asked
  const names = ref({})
  const state = ref('') // level|code|grouping|period|year of `data` (data-state, for tests)

  const drill = computed(() => parseDrill(route.value, prefix))
  const level = computed(() => levelOf(drill.value))
  const groupOptions = computed(() => {
    if (level.value === 'park') return ['zone', 'industry', 'enterprise', 'carrier']
    if (level.value === 'enterprise') return ['carrier']
    return ['enterprise', level.value === 'zone' ? 'industry' : 'zone', 'carrier']
  })
  const grouping = computed({
    get: () => {
      if (level.value === 'park') return parkGrouping.value
      return groupOptions.value.includes(subGrouping.value) ? subGrouping.value : groupOptions.value[0]
    },
    set: (v) => { if (level.value === 'park') parkGrouping.value = v; else subGrouping.value = v },
  })

  const run = latestOnly(loading, error)
  function load() {
    if (!route.value.startsWith(prefix) || year.value === null) return
    return run(async (isCurrent) => {
      const y = year.value, d = drill.value, lvl = level.value, g = grouping.value, p = period.value
      const f = filterOf(d)
      const prev = years.value.includes(y - 1)
      const none = Promise.resolve(null)
      const q = (by, per, yy, filter = f) => get(endpoint, { by, period: per, year: yy, ...filter })
      const parentKind = d.zone ? 'zone' : d.industry ? 'industry' : ''
      const asks = {
        kpi: q(lvl, 'year', y),
        kpiPrev: prev ? q(lvl, 'year', y - 1) : none,
        mon: q(lvl, 'month', y),
        monPrev: prev ? q(lvl, 'month', y - 1) : none,
        groups: q(g, 'year', y),
        groupsPrev: prev ? q(g, 'year', y - 1) : none,
        groupsMonth: p === 'month' ? q(g, 'month', y) : none,
        meters: lvl === 'enterprise' ? loadMeterData(get, d.enterprise, y, p) : none,
        parent: lvl === 'enterprise' && parentKind ? q(parentKind, 'year', y, { [parentKind]: d[parentKind] }) : none,
        ...extra(get, y, parkWide.value),
      }
      const keys = Object.keys(asks)
      const vals = await Promise.all(keys.map((k) => asks[k]))
      if (!isCurrent()) return
      const D = { y, d, lvl, g, p, prev }
      keys.forEach((k, i) => { D[k] = vals[i] })
      const n = { ...names.value }
      for (const a of [D.kpi, D.groups, D.parent]) {
        if (a && ['zone', 'industry', 'enterprise'].includes(a.group_by)) for (const r of a.rows || []) n[r.group] = r.name
      }
      names.value = n
      data.value = D
      state.value = [lvl, d[lvl] || '', g, p, y].join('|')
    })
  }

  async function init() {
    loading.value = true
    error.value = null
    try {
      const ys = await loadYears(get)
      years.value = ys
      year.value = ys[0] // the watch below loads
    } catch (err) {
      error.value = err
      loading.value = false
    }
  }
  function retry() { if (years.value.length) load(); else init() }
  onMounted(init)
  watch([() => route.value, year, period, grouping], load)

  // Down one level; from a zone or an industry the next level lists its enterprises.
  function drillTo(row) {
    if (data.value?.g !== 'enterprise') subGrouping.value = 'enterprise'
    navigate(row.path)
  }
  return { prefix, get, parkWide, loading, error, years, year, period, grouping, groupOptions, drill, level, data, names, state, retry, drillTo }
}

// A level's own row in an answer (the park row, or the zone/industry/enterprise drilled into).
export function levelRow(ans, D) {
  if (!ans) return null
  return (D.lvl === 'park' ? ans.rows?.[0] : ans.rows?.find((x) => x.group === D.d[D.lvl])) || null
}

// The level's months (12, in order) from a by=<level>&period=month answer; months without readings are null.
export function levelMonths(ans, D) {
  const code = D.lvl === 'park' ? null : D.d[D.lvl]
  const m = new Map()
  for (const r of ans?.rows || []) if ((code === null || r.group === code) && hasData(r)) m.set(String(r.period).slice(5, 7), r)
  return monthsOf(D.y).map((ym) => m.get(ym.slice(5, 7)) || null)
}

// group -> { 'YYYY-MM': row } of a by=<group>&period=month answer (months with readings).
export function monthsByGroup(ans) {
  const m = new Map()
  for (const r of ans?.rows || []) {
    if (!hasData(r)) continue
    if (!m.has(r.group)) m.set(r.group, {})
    m.get(r.group)[String(r.period).slice(0, 7)] = r
  }
  return m
}

// Where a group row leads: a zone or industry (from the park), or an enterprise.
export function rowPath(prefix, D, group) {
  const canDrill = ['zone', 'industry', 'enterprise'].includes(D.g) && (D.lvl === 'park' || D.g === 'enterprise') && group !== 'PARK'
  if (!canDrill) return null
  return drillPath(prefix, D.g === 'enterprise' ? { ...D.d, enterprise: group } : { [D.g]: group })
}
// Charts settle quickly (a dashboard redraws on every switch) / 图表动画从简.
export const ANIM = { animationDuration: 300, animationDurationUpdate: 300 }
export const TOP_N = 15
export const PALETTE = ['#2f7d5b', '#3b6ea8', '#d9a21b', '#b5472c', '#7a5ea8', '#4aa3a1', '#8c8c3e', '#c46a9b', '#6b7f8e', '#a0522d']

// Figures as shown: float noise is zero (z) / 显示格式.
export const f0 = (v) => fmtNumber(z(v), 0)
export const f1 = (v) => fmtNumber(z(v), 1)
export const f3 = (v) => fmtNumber(z(v), 3)
export const pct = (v) => fmtPercent(z(v))

// The first columns of a group table: name and code.
export const nameCols = () => [{ key: 'name', label: t('en.col.name') }, { key: 'group', label: t('en.col.code') }]

// The level's own rows of the year and of the year before (null without readings).
// What the year's year on year compares with, as the API says (yoy_basis), when that is not the
// whole year before: a year still running is compared with the same months ("2025-01".."2025-11").
export function yoyPartial(D) {
  const b = (D.kpi?.yoy_basis || []).find((x) => x.period === String(D.y))
  return b && !(b.from.endsWith('-01') && b.to.endsWith('-12')) ? b : null
}

export function levelRows(D) {
  const prev = levelRow(D.kpiPrev, D)
  return { cur: levelRow(D.kpi, D), prev: hasData(prev) ? prev : null }
}

// CSV file names: where and which year (the page adds its methods).
export function drillSuffix(D) {
  return `${D.lvl === 'park' ? 'park' : `${D.lvl}-${D.d[D.lvl]}`}-${D.y}`
}

// The rows of the groups answer: name, where a row leads, and the page's figures
// (fields(row, previous year's row or undefined)); enterprises biggest first by `sortKey`.
export function drillGroupRows(prefix, D, fields, sortKey) {
  const prevMap = prevByGroup(D.groupsPrev)
  const rows = (D.groups.rows || []).map((r) => {
    const path = rowPath(prefix, D, r.group)
    return {
      group: r.group,
      name: D.g === 'carrier' ? carrierName(r.group, r.name) : pickName(r.name),
      ...fields(r, prevMap.get(r.group + '|')),
      drillable: path !== null,
      path,
      href: path ? href(path) : '',
    }
  })
  if (D.g === 'enterprise') rows.sort((a, b) => (b[sortKey] ?? -Infinity) - (a[sortKey] ?? -Infinity))
  return rows
}

// Horizontal bars of the top groups (top: bottom-up order) / 横向条形图.
export function hbarOption(top, series, unit) {
  return {
    ...ANIM,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => f1(v) + ' ' + unit },
    legend: { bottom: 0 },
    grid: { left: 8, right: 24, top: 8, bottom: 32, containLabel: true },
    xAxis: { type: 'value', axisLabel: { formatter: f0 } },
    yAxis: { type: 'category', data: top.map((r) => r.name), axisLabel: { width: 200, overflow: 'truncate' } },
    series: series.map((x) => ({ barMaxWidth: 28, ...x })),
  }
}

// Groups per month (period = month) / 分组逐月: a row per group (its year figure in `total`), a
// column per month with valueOf(month row); the chart stacks the 8 biggest and the rest.
export function useGroupPivot(data, groupRows, totalKey, valueOf, unit) {
  const months = computed(() => (data.value ? monthsOf(data.value.y) : []))
  const rows = computed(() => {
    const D = data.value
    if (!D?.groupsMonth) return []
    const byGroup = monthsByGroup(D.groupsMonth)
    return groupRows.value.map((g) => {
      const row = { group: g.group, name: g.name, total: g[totalKey] }
      const m = byGroup.get(g.group) || {}
      for (const ym of months.value) row[ym] = ym in m ? valueOf(m[ym]) : null
      return row
    })
  })
  const cols = computed(() => [
    ...nameCols(),
    ...months.value.map((ym) => ({ key: ym, label: fmtMonth(ym), num: true, format: f1 })),
  ])
  const option = () => {
    const sorted = [...rows.value].sort((a, b) => (b.total || 0) - (a.total || 0))
    const top = sorted.slice(0, 8)
    const rest = sorted.slice(8)
    const series = top.map((r, i) => ({ type: 'bar', stack: 'g', name: r.name, data: months.value.map((ym) => r[ym]), itemStyle: { color: PALETTE[i % PALETTE.length] } }))
    if (rest.length) {
      series.push({ type: 'bar', stack: 'g', name: t('en.col.other'), itemStyle: { color: '#b9c2be' }, data: months.value.map((ym) => rest.reduce((s, r) => s + (r[ym] || 0), 0)) })
    }
    return {
      ...ANIM,
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => f1(v) + ' ' + unit },
      legend: { bottom: 0, type: 'scroll' },
      grid: { left: 8, right: 16, top: 28, bottom: 40, containLabel: true },
      xAxis: { type: 'category', data: months.value.map((ym) => fmtMonth(ym)) },
      yAxis: { type: 'value', name: unit, axisLabel: { formatter: f0 } },
      series,
    }
  }
  return { months, rows, cols, option }
}
