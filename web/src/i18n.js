// i18n / 多语言: every visible string in zh-CN (default) and en, number and date formatting
// through Intl per locale. `npm run build` runs scripts/check-i18n.mjs, which fails when a key is
// missing in either language.
import { ref, computed } from 'vue'
import enterprisesMessages from './messages/enterprises.js'
import energyMessages from './messages/energy.js'
import metersMessages from './messages/meters.js'
import importMessages from './messages/import.js'
import greenMessages from './messages/green.js'
import environmentMessages from './messages/environment.js'

export const LOCALES = ['zh-CN', 'en']

const coreMessages = {
  'zh-CN': {
    'app.title': '零碳园区能碳平台',
    'app.short': 'zeropark',
    'lang.switch': 'English',
    'lang.name': '中文',
    'nav.overview': '园区总览',
    'nav.enterprises': '企业',
    'nav.energy': '能耗',
    'nav.carbon': '碳排放',
    'nav.meters': '计量与数据质量',
    'nav.import': '数据导入',
    'nav.green': '绿电溯源',
    'nav.environment': '环境监测',
    'nav.logout': '退出登录',
    'nav.user': '{name}（{role}）',
    'role.admin': '园区管理员',
    'role.analyst': '园区分析员',
    'role.officer': '网格员',
    'role.enterprise': '企业用户',
    'role.auditor': '审计员',
    'role.device': '设备',
    'login.title': '登录',
    'login.username': '用户名',
    'login.password': '密码',
    'login.submit': '登录',
    'login.busy': '正在登录…',
    'login.failed': '用户名或密码错误',
    'login.locked': '失败次数过多，请在 {s} 秒后重试',
    'login.hint': '演示环境的账号与密码由 zeropark demo 在启动时打印。',
    'common.loading': '加载中…',
    'common.retry': '重试',
    'common.noData': '暂无数据',
    'common.chart': '图表',
    'common.table': '表格',
    'common.exportCsv': '导出 CSV',
    'common.year': '年份',
    'common.noRole': '此账号角色没有看板页面（设备账号只能写入数据）。',
    'common.na': '—',
    'method.label': '能耗计算方法',
    'method.equivalent': '当量值',
    'method.coal_equivalent': '等价值',
    'scope2.label': '范围二核算方法',
    'scope2.location': '基于位置',
    'scope2.market': '基于市场',
    'ov.title': '园区总览 · {year} 年',
    'ov.dataMonths': '{n}/{total} 个月有计量数据',
    'ov.energy': '综合能耗',
    'ov.carbon': '碳排放',
    'ov.intensity': '单位能耗碳排放',
    'ov.clean': '清洁能源消费占比',
    'ov.elec': '电力消费占比',
    'ov.completeness': '数据完整率',
    'ov.completenessPeriod': '{from} 至 {to}',
    'ov.target': '目标 {v}',
    'ov.meets': '达标',
    'ov.misses': '未达标',
    'ov.targetNote': '目标依据',
    'ov.byCarrier': '分品种能耗',
    'ov.topConsumers': '前十大用能企业',
    'ov.monthly': '逐月碳排放',
    'ov.dailyCompleteness': '逐日数据完整率',
    'ov.today': '今日 · {date}',
    'ov.latestDay': '最近有数据的一天 · {date}',
    'ov.live': '实时',
    'ov.asOf': '数据截至 {t}',
    'ov.todayEnergy': '当日综合能耗',
    'ov.todayCarbon': '当日碳排放',
    'ov.loadNow': '园区电力负荷',
    'ov.loadNowNote': '最近整点小时平均 · {t}',
    'ov.todayCompleteness': '当日数据完整率（截至目前）',
    'ov.loadChart': '逐小时园区电力负荷',
    'ov.loadDay': '当日',
    'ov.loadPrev': '前一日',
    'ov.todayTop': '当日前十大用能企业',
    'ov.screen': '大屏模式',
    'ov.screenExit': '退出大屏',
    'ov.yearSection': '年度 · {year}',
    'col.hour': '时刻',
    'col.kw': '平均负荷（kW）',
    'col.kwPrev': '前一日（kW）',
    'unit.tce': '吨标准煤',
    'unit.tco2': '吨二氧化碳',
    'unit.tco2PerTce': 'tCO₂/tce',
    'col.carrier': '能源品种',
    'col.amount': '实物量',
    'col.unit': '单位',
    'col.tce': '能耗（tce）',
    'col.share': '占比',
    'col.rank': '排名',
    'col.enterprise': '企业',
    'col.code': '统一社会信用代码',
    'col.elecShare': '电力占比',
    'col.month': '月份',
    'col.scope1': '范围一（tCO₂）',
    'col.scope2': '范围二（tCO₂）',
    'col.total': '合计（tCO₂）',
    'col.intensity': 'tCO₂/tce',
    'col.date': '日期',
    'col.expected': '应收条数',
    'col.received': '实收条数',
    'col.ratio': '完整率',
    'carrier.electricity': '电力',
    'carrier.natural_gas': '天然气',
    'carrier.heat': '热力',
    'carrier.steam': '蒸汽',
    'carrier.water': '水',
    'carrier.coal': '煤炭',
    'carrier.raw_coal': '原煤',
    'carrier.diesel': '柴油',
    'carrier.gasoline': '汽油',
    'carrier.lpg': '液化石油气',
    'carrier.process': '工业过程',
    'err.title': '请求失败',
    'err.network': '无法连接服务器',
    'err.UNAUTHENTICATED': '未登录或会话已过期',
    'err.PERMISSION_DENIED': '无权访问',
    'err.INVALID_ARGUMENT': '参数错误',
    'err.NOT_FOUND': '未找到',
    'err.ALREADY_EXISTS': '已存在',
    'err.FAILED_PRECONDITION': '前置条件不满足',
    'err.RESOURCE_EXHAUSTED': '超出限制',
    'err.INTERNAL': '服务器内部错误',
    'err.UNKNOWN': '未知错误',
  },
  en: {
    'app.title': 'Zero-carbon park platform',
    'app.short': 'zeropark',
    'lang.switch': '中文',
    'lang.name': 'English',
    'nav.overview': 'Park overview',
    'nav.enterprises': 'Enterprises',
    'nav.energy': 'Energy',
    'nav.carbon': 'Carbon',
    'nav.meters': 'Meters and data quality',
    'nav.import': 'Import',
    'nav.green': 'Green power',
    'nav.environment': 'Environment',
    'nav.logout': 'Log out',
    'nav.user': '{name} ({role})',
    'role.admin': 'Park administrator',
    'role.analyst': 'Park analyst',
    'role.officer': 'Grid-cell officer',
    'role.enterprise': 'Enterprise user',
    'role.auditor': 'Auditor',
    'role.device': 'Device',
    'login.title': 'Sign in',
    'login.username': 'User name',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.busy': 'Signing in…',
    'login.failed': 'Wrong user name or password',
    'login.locked': 'Too many failed attempts; try again in {s} s',
    'login.hint': 'zeropark demo prints the demo accounts and passwords when it starts.',
    'common.loading': 'Loading…',
    'common.retry': 'Retry',
    'common.noData': 'No data',
    'common.chart': 'Chart',
    'common.table': 'Table',
    'common.exportCsv': 'Export CSV',
    'common.year': 'Year',
    'common.noRole': 'This account\'s role has no dashboard pages (device accounts only write data).',
    'common.na': '—',
    'method.label': 'Energy method',
    'method.equivalent': 'Equivalent value',
    'method.coal_equivalent': 'Coal-equivalent value',
    'scope2.label': 'Scope 2 method',
    'scope2.location': 'Location-based',
    'scope2.market': 'Market-based',
    'ov.title': 'Park overview · {year}',
    'ov.dataMonths': '{n} of {total} months have readings',
    'ov.energy': 'Energy consumption',
    'ov.carbon': 'Carbon emissions',
    'ov.intensity': 'Carbon per unit of energy',
    'ov.clean': 'Clean-energy share',
    'ov.elec': 'Electricity share',
    'ov.completeness': 'Data completeness',
    'ov.completenessPeriod': '{from} to {to}',
    'ov.target': 'target {v}',
    'ov.meets': 'meets target',
    'ov.misses': 'misses target',
    'ov.targetNote': 'Target source',
    'ov.byCarrier': 'Energy by carrier',
    'ov.topConsumers': 'Top 10 energy consumers',
    'ov.monthly': 'Carbon emissions by month',
    'ov.dailyCompleteness': 'Data completeness by day',
    'ov.today': 'Today · {date}',
    'ov.latestDay': 'Latest day with readings · {date}',
    'ov.live': 'live',
    'ov.asOf': 'data up to {t}',
    'ov.todayEnergy': 'Energy consumption of the day',
    'ov.todayCarbon': 'Carbon emissions of the day',
    'ov.loadNow': 'Park electricity load',
    'ov.loadNowNote': 'average of the last full hour · {t}',
    'ov.todayCompleteness': 'Data completeness of the day so far',
    'ov.loadChart': 'Park electricity load by hour',
    'ov.loadDay': 'This day',
    'ov.loadPrev': 'Day before',
    'ov.todayTop': 'Top 10 consumers of the day',
    'ov.screen': 'Big screen',
    'ov.screenExit': 'Leave big screen',
    'ov.yearSection': 'Year · {year}',
    'col.hour': 'Hour',
    'col.kw': 'Average load (kW)',
    'col.kwPrev': 'Day before (kW)',
    'unit.tce': 'tce',
    'unit.tco2': 'tCO₂',
    'unit.tco2PerTce': 'tCO₂/tce',
    'col.carrier': 'Carrier',
    'col.amount': 'Amount',
    'col.unit': 'Unit',
    'col.tce': 'Energy (tce)',
    'col.share': 'Share',
    'col.rank': 'Rank',
    'col.enterprise': 'Enterprise',
    'col.code': 'Credit code',
    'col.elecShare': 'Electricity share',
    'col.month': 'Month',
    'col.scope1': 'Scope 1 (tCO₂)',
    'col.scope2': 'Scope 2 (tCO₂)',
    'col.total': 'Total (tCO₂)',
    'col.intensity': 'tCO₂/tce',
    'col.date': 'Date',
    'col.expected': 'Expected readings',
    'col.received': 'Received readings',
    'col.ratio': 'Completeness',
    'carrier.electricity': 'Electricity',
    'carrier.natural_gas': 'Natural gas',
    'carrier.heat': 'Heat',
    'carrier.steam': 'Steam',
    'carrier.water': 'Water',
    'carrier.coal': 'Coal',
    'carrier.raw_coal': 'Raw coal',
    'carrier.diesel': 'Diesel',
    'carrier.gasoline': 'Gasoline',
    'carrier.lpg': 'LPG',
    'carrier.process': 'Industrial process',
    'err.title': 'Request failed',
    'err.network': 'Cannot reach the server',
    'err.UNAUTHENTICATED': 'Not signed in, or the session has expired',
    'err.PERMISSION_DENIED': 'Access denied',
    'err.INVALID_ARGUMENT': 'Invalid argument',
    'err.NOT_FOUND': 'Not found',
    'err.ALREADY_EXISTS': 'Already exists',
    'err.FAILED_PRECONDITION': 'Precondition failed',
    'err.RESOURCE_EXHAUSTED': 'Limit exceeded',
    'err.INTERNAL': 'Internal server error',
    'err.UNKNOWN': 'Unknown error',
  },
}

// Core texts plus one module per page (web/src/messages/); a key defined twice is a build error.
export const messages = { 'zh-CN': {}, en: {} }
export const duplicateKeys = []
for (const m of [coreMessages, enterprisesMessages, energyMessages, metersMessages, importMessages, greenMessages, environmentMessages]) {
  for (const l of LOCALES) {
    for (const [k, v] of Object.entries(m[l] || {})) {
      if (k in messages[l]) duplicateKeys.push(`${l}: ${k}`)
      messages[l][k] = v
    }
  }
}

function initialLocale() {
  try {
    const saved = localStorage.getItem('zp_locale')
    if (LOCALES.includes(saved)) return saved
  } catch { /* storage unavailable */ }
  return 'zh-CN'
}

export const locale = ref(initialLocale())

export function setLocale(l) {
  if (!LOCALES.includes(l)) return
  locale.value = l
  try { localStorage.setItem('zp_locale', l) } catch { /* ignore */ }
  document.documentElement.lang = l
}

// Translate in a given locale (default: the current one). {name} placeholders are filled.
export function tr(l, key, params) {
  let s = messages[l]?.[key]
  if (s === undefined) s = key
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m))
  return s
}

export function t(key, params) {
  return tr(locale.value, key, params)
}

// Numbers / 数字
const nfCache = new Map()
function nf(opts) {
  const k = locale.value + JSON.stringify(opts)
  if (!nfCache.has(k)) nfCache.set(k, new Intl.NumberFormat(locale.value, opts))
  return nfCache.get(k)
}

export function fmtNumber(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('common.na')
  return nf({ minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v)
}

export function fmtPercent(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('common.na')
  return nf({ style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v)
}

// Dates / 日期: the API gives park-local calendar values ("2025-01", "2025-01-31"); they are
// formatted as calendar values (UTC in, UTC out) so the browser's zone never shifts them.
function calendarDate(s) {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(s || '')
  if (!m) return null
  return new Date(Date.UTC(+m[1], m[2] ? +m[2] - 1 : 0, m[3] ? +m[3] : 1))
}

export function fmtMonth(s) {
  const d = calendarDate(s)
  if (!d) return s
  return new Intl.DateTimeFormat(locale.value, { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(d)
}

export function fmtDate(s) {
  const d = calendarDate(s)
  if (!d) return s
  return new Intl.DateTimeFormat(locale.value, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(d)
}

// Names from the API are often "中文 / English"; pick the part for the locale.
export function pickName(name) {
  if (typeof name !== 'string') return ''
  let parts = name.split(' / ')
  // "其他负荷（总表减分表）/ Other loads": a Chinese part ending in a full-width bracket.
  if (parts.length !== 2) parts = name.split(/(?<=[\u3000-\u303f\uff00-\uffef\u4e00-\u9fff])\s*\/\s*(?=[A-Za-z])/)
  if (parts.length !== 2) return name
  return locale.value === 'en' ? parts[1] : parts[0]
}

export function carrierName(code, apiName) {
  const key = 'carrier.' + code
  if (messages[locale.value][key]) return t(key)
  return apiName ? pickName(apiName) : code
}

export const isEn = computed(() => locale.value === 'en')
