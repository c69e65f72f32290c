// Tables that several pages show / 多个页面共用的表格列 (ChartPanel columns; raw numbers in the
// CSV, formatted for the locale in the table).
import { t, fmtNumber, fmtPercent, fmtMonth, fmtDate } from './i18n.js'

const digits = (n) => (v) => fmtNumber(v, n)

// Energy by carrier: rows { name, amount, unit, tce, share }.
export function carrierColumns() {
  return [
    { key: 'name', label: t('col.carrier') },
    { key: 'amount', label: t('col.amount'), num: true, format: digits(0) },
    { key: 'unit', label: t('col.unit') },
    { key: 'tce', label: t('col.tce'), num: true, format: digits(1) },
    { key: 'share', label: t('col.share'), num: true, format: (v) => fmtPercent(v) },
  ]
}

// Energy and carbon by month: rows { period, tce, scope1, scope2, total, intensity }.
export function carbonMonthColumns() {
  return [
    { key: 'period', label: t('col.month'), format: (v) => fmtMonth(v) },
    { key: 'tce', label: t('col.tce'), num: true, format: digits(1) },
    { key: 'scope1', label: t('col.scope1'), num: true, format: digits(1) },
    { key: 'scope2', label: t('col.scope2'), num: true, format: digits(1) },
    { key: 'total', label: t('col.total'), num: true, format: digits(1) },
    { key: 'intensity', label: t('col.intensity'), num: true, format: digits(3) },
  ]
}

// Completeness by day: rows { date, expected, received, ratio } and, with `quality`, the
// suspect-zero and flagged readings.
export function completenessDayColumns(ratioDigits, quality = false) {
  const cols = [
    { key: 'date', label: t('col.date'), format: (v) => fmtDate(v) },
    { key: 'expected', label: t('col.expected'), num: true, format: digits(0) },
    { key: 'received', label: t('col.received'), num: true, format: digits(0) },
    { key: 'ratio', label: t('col.ratio'), num: true, format: (v) => fmtPercent(v, ratioDigits) },
  ]
  if (quality) {
    cols.push(
      { key: 'suspect_zero', label: t('mtr.col.suspectZero'), num: true, format: digits(0) },
      { key: 'flagged', label: t('mtr.col.flagged'), num: true, format: digits(0) },
    )
  }
  return cols
}
