// CSV downloads / CSV 导出: UTF-8 with a BOM (so that Excel reads Chinese), CRLF line ends, cells
// quoted where needed, raw values (numbers stay numbers, the table shows them formatted).
import { saveBlob } from './util.js'

const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

// One cell. A text that a spreadsheet would run as a formula (= + - @, tab, carriage return first)
// gets a leading apostrophe; numbers, including negative ones like -12.5, are left as they are.
export function csvCell(v) {
  if (v === null || v === undefined) return ''
  let s = String(v)
  if (typeof v !== 'number' && /^[=+\-@\t\r]/.test(s) && !PLAIN_NUMBER.test(s)) s = "'" + s
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s
}

// The file's text: header cells, then rows (arrays of cells).
export function csvText(headerCells, rows) {
  const lines = [headerCells.map(csvCell).join(',')]
  for (const r of rows) lines.push(r.map(csvCell).join(','))
  return '\ufeff' + lines.join('\r\n') + '\r\n'
}

// Downloads `filename`.csv (filename without the extension).
export function downloadCsv(filename, headerCells, rows) {
  saveBlob(new Blob([csvText(headerCells, rows)], { type: 'text/csv;charset=utf-8' }), filename + '.csv')
}
