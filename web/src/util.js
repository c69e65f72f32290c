// Small helpers shared by the pages / 页面共用的小工具.
import { api } from './api.js'

// Calendar days as 'YYYY-MM-DD' (park calendar values, no time zone involved).
export function addDays(day, n) {
  const d = new Date(Date.UTC(+day.slice(0, 4), +day.slice(5, 7) - 1, +day.slice(8, 10) + n))
  return d.toISOString().slice(0, 10)
}

// GET /api/v1/completeness/summary (by=meter|enterprise|day, from, to exclusive, enterprise,
// zone, carrier); the server's default period is the last 7 days with data.
export function completenessSummary(params) {
  return api('/completeness/summary', { params })
}

// Saves a Blob as a file through a temporary link / 以文件形式保存.
export function saveBlob(blob, filename) {
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
}

// Sort order of two cells: missing values (null, undefined) last in both directions, numbers by
// value, anything else by text. dir: 1 ascending, -1 descending.
export function compareNullsLast(x, y, dir = 1, compareText = (a, b) => String(a).localeCompare(String(b))) {
  if (x === y) return 0
  if (x === null || x === undefined) return 1
  if (y === null || y === undefined) return -1
  return (typeof x === 'number' && typeof y === 'number' ? x - y : compareText(x, y)) * dir
}

// Loads where only the latest call counts / 只认最新一次加载: run(fn) sets `loading`, clears `error`
// and awaits fn(isCurrent); an error, and the end of loading, count only while no later run has
// started. fn checks isCurrent() after each await before it stores anything.
export function latestOnly(loading, error) {
  let seq = 0
  return async function run(fn) {
    const my = ++seq
    const isCurrent = () => my === seq
    loading.value = true
    error.value = null
    try {
      await fn(isCurrent)
    } catch (e) {
      if (isCurrent()) error.value = e
    } finally {
      if (isCurrent()) loading.value = false
    }
  }
}
