import uPlot from 'uplot'
import { h } from '../ui/dom.ts'

/** Series colours: distinguishable on screen and in greyscale print (Okabe–Ito palette). */
export const palette = [
  '#0072b2',
  '#d55e00',
  '#009e73',
  '#cc79a7',
  '#e69f00',
  '#56b4e9',
  '#000000',
  '#f0e442',
]

/**
 * A uPlot chart that follows its container's width (1366×768 screens and tablets alike).
 * `label` names the figure for screen readers; the numbers themselves are in a table beside it.
 */
export function mountChart(
  container: HTMLElement,
  label: string,
  options: Omit<uPlot.Options, 'width' | 'height'> & { height?: number },
  data: uPlot.AlignedData,
): { figure: HTMLElement; destroy: () => void } {
  const figure = h('figure', { class: 'chart', role: 'img', 'aria-label': label })
  container.append(figure)
  const width = () => Math.max(280, Math.floor(figure.clientWidth || container.clientWidth || 600))
  const plot = new uPlot({ ...options, width: width(), height: options.height ?? 320 }, data, figure)
  const observer = new ResizeObserver(() => {
    const w = width()
    if (Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: options.height ?? 320 })
  })
  observer.observe(figure)
  return {
    figure,
    destroy: () => {
      observer.disconnect()
      plot.destroy()
    },
  }
}

/** `count` values spread evenly in log space over [from, to]. */
export function logSpace(from: number, to: number, count: number): number[] {
  const a = Math.log(from)
  const b = Math.log(to)
  return Array.from({ length: count }, (_, i) => Math.exp(a + ((b - a) * i) / (count - 1)))
}

/**
 * Series over different x values on one x axis (uPlot wants aligned columns): the sorted union of
 * every series' x, each series null where it has no point.
 */
export function align(series: { x: number; y: number }[][]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.map((p) => p.x)))].sort((a, b) => a - b)
  const index = new Map(xs.map((x, i) => [x, i]))
  const columns = series.map((s) => {
    const column: (number | null)[] = xs.map(() => null)
    for (const p of s) column[index.get(p.x)!] = p.y
    return column
  })
  return [xs, ...columns] as uPlot.AlignedData
}

/** Axis labels from a formatter; uPlot passes null for ticks it leaves unlabelled. */
export function ticks(format: (value: number) => string): uPlot.Axis['values'] {
  return (_u: uPlot, values: (number | null)[]) =>
    values.map((v) => (v === null || v === undefined ? '' : format(v)))
}

/** A log scale's range padded by `factor` either side of the data instead of snapped to powers of the base. */
export function paddedLogRange(factor = 1.15): uPlot.Scale.Range {
  return (_u, min, max) => [min / factor, max * factor]
}
