/** Display formats; `—` stands for a value the API does not have (null). */

const dash = '—'

export function percent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || Number.isNaN(value)
    ? dash
    : `${(value * 100).toFixed(digits)} %`
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return dash
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`
}

export function num(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined) return dash
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

/** Costs are in the policy's currency units; small ones keep significant digits. */
export function money(value: number | null | undefined): string {
  if (value === null || value === undefined) return dash
  if (value === 0) return '0'
  return Math.abs(value) < 0.01 ? value.toPrecision(2) : value.toFixed(2)
}

export function time(iso: string | null | undefined): string {
  if (!iso) return dash
  return new Date(iso).toLocaleTimeString('en-GB', { hour12: false })
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return dash
  const d = new Date(iso)
  return `${d.toLocaleDateString('en-CA')} ${d.toLocaleTimeString('en-GB', { hour12: false })}`
}

/** α with its 90 % interval, e.g. `0.31 [0.27, 0.35]`. */
export function alpha(fit: { alpha: number; alphaLow: number | null; alphaHigh: number | null }): string {
  const interval =
    fit.alphaLow !== null && fit.alphaHigh !== null
      ? ` [${fixed(fit.alphaLow, 2)}, ${fixed(fit.alphaHigh, 2)}]`
      : ''
  return `${fixed(fit.alpha, 2)}${interval}`
}

/** toFixed without a "-0.00" for values that round to zero. */
export function fixed(value: number, digits: number): string {
  const text = value.toFixed(digits)
  return Number(text) === 0 ? (0).toFixed(digits) : text
}

/** Byte counts in binary units, e.g. `1.5 MiB`. */
export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined) return dash
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = value
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i += 1
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[i]}`
}

/** How long ago `iso` was, coarsely: `45 s`, `12 min`, `3.5 h`, `2.0 d`. */
export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return dash
  const s = Math.max(0, (now - new Date(iso).getTime()) / 1000)
  if (s < 120) return `${Math.round(s)} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`
  return `${(s / 86_400).toFixed(1)} d`
}
