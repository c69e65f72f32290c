// Fails the build when a message key is missing in a language, or when the source uses a key
// that no language defines. / 缺少任一语言的文案时构建失败。
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { messages, LOCALES, duplicateKeys } from '../src/i18n.js'

const src = fileURLToPath(new URL('../src', import.meta.url))
const problems = duplicateKeys.map((k) => `key defined twice: ${k}`)
const all = new Set(LOCALES.flatMap((l) => Object.keys(messages[l])))
for (const l of LOCALES) {
  for (const k of all) {
    if (!(k in messages[l])) problems.push(`${l}: missing key '${k}'`)
    else if (!String(messages[l][k]).trim()) problems.push(`${l}: empty text for '${k}'`)
  }
}
function walk(dir) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f)
    if (statSync(p).isDirectory()) walk(p)
    else if (/\.(vue|js)$/.test(f)) {
      const text = readFileSync(p, 'utf8')
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) {
        // 'role.' + x: a dynamic key; the prefix must exist.
        if (m[1].endsWith('.')) {
          if (![...all].some((k) => k.startsWith(m[1]))) problems.push(`${p}: no keys start with '${m[1]}'`)
        } else if (!all.has(m[1])) problems.push(`${p}: key '${m[1]}' is not defined`)
      }
    }
  }
}
walk(src)
if (problems.length) {
  console.error('i18n check failed / 多语言检查未通过:\n  ' + problems.join('\n  '))
  process.exit(1)
}
console.log(`i18n check passed / 多语言检查通过: ${all.size} keys x ${LOCALES.length} languages`)
