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
