// Time-series charts on uPlot: one line per series with a legend, and marks at points in time (events) that show
// a tooltip on hover. After each draw the container carries `data-series` (series drawn), `data-points` (non-empty
// points drawn), `data-from` and `data-to` (the time axis, s) and `data-marks` (marks inside the time range), which
// the browser tests read.
import uPlot from 'uplot';
import type { PanelUnit } from '../../src/selfmon/overview-panels.js';
import { formatValue } from './format.js';
import { h } from './dom.js';

export interface ChartSeries {
  label: string;
  /** Seconds, ascending. */
  timestamps: number[];
  values: (number | null)[];
}

export interface ChartOptions {
  unit: PanelUnit;
  logScale?: boolean;
  height: number;
}

/** A vertical mark at a point in time: `className` colours it, `tip` builds what hovering it shows. */
export interface ChartMark {
  timeS: number;
  key: string;
  className: string;
  tip: () => HTMLElement;
}

/** More lines than this make an unreadable chart and a slow page; the rest is left out, and the chart says so. */
const MAX_DRAWN_SERIES = 200;

// Grafana's classic palette: distinguishable, and familiar to the article's readers.
const PALETTE = [
  '#7eb26d',
  '#eab839',
  '#6ed0e0',
  '#ef843c',
  '#e24d42',
  '#1f78c1',
  '#ba43a9',
  '#705da0',
  '#508642',
  '#cca300',
  '#447ebc',
  '#c15c17',
  '#890f02',
  '#0a437c',
  '#6d1f62',
  '#584477',
];

export class TimeChart {
  private plot: uPlot | undefined;
  private labels = '';
  private readonly plotEl: HTMLDivElement;
  private readonly noteEl: HTMLDivElement;
  private readonly resize: ResizeObserver;
  private marks: ChartMark[] = [];
  private markLayer: HTMLElement | undefined;

  constructor(
    private readonly el: HTMLElement,
    private readonly opts: ChartOptions,
  ) {
    el.classList.add('chart');
    // Keeps the layout still until the first draw.
    el.style.minHeight = `${opts.height}px`;
    this.plotEl = h('div', { class: 'chart-plot' });
    this.noteEl = h('div', { class: 'chart-note' });
    el.replaceChildren(this.plotEl, this.noteEl);
    this.resize = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: opts.height }));
    this.resize.observe(el);
  }

  /** Draws the series over [startS, endS]; keeps the uPlot instance when the set of series is unchanged. */
  update(all: ChartSeries[], startS: number, endS: number): void {
    const series = all.slice(0, MAX_DRAWN_SERIES);
    const xs = [...new Set(series.flatMap((s) => s.timestamps))].sort((a, b) => a - b);
    const index = new Map(xs.map((t, i) => [t, i]));
    let points = 0;
    const ys = series.map((s) => {
      const col: (number | null)[] = new Array(xs.length).fill(null);
      s.timestamps.forEach((t, i) => {
        let v = s.values[i] ?? null;
        // A log axis has no place for 0 or negatives; they are left out as gaps.
        if (v !== null && (!Number.isFinite(v) || (this.opts.logScale && v <= 0))) v = null;
        if (v !== null) points++;
        col[index.get(t)!] = v;
      });
      return col;
    });
    const data = [xs, ...ys] as uPlot.AlignedData;
    const labels = series.map((s) => s.label).join('\u0000');
    if (this.plot && labels === this.labels) {
      this.plot.setData(data, false);
      this.plot.setScale('x', { min: startS, max: endS });
    } else {
      this.plot?.destroy();
      this.plot = new uPlot(this.options(series, startS, endS), data, this.plotEl);
      this.labels = labels;
    }
    this.el.dataset.series = String(series.length);
    this.el.dataset.points = String(points);
    this.el.dataset.from = String(startS);
    this.el.dataset.to = String(endS);
    this.el.classList.toggle('chart-empty', points === 0);
    this.noteEl.textContent =
      points === 0 ? 'No data' : all.length > series.length ? `Showing ${series.length} of ${all.length} series` : '';
  }

  /** Replaces the marks; they are drawn now and after every redraw. */
  setMarks(marks: ChartMark[]): void {
    this.marks = marks;
    if (this.plot) this.placeMarks(this.plot);
  }

  /** Marks as elements over the plot (uPlot's `over` layer), placed at their time on the x axis. */
  private placeMarks(u: uPlot): void {
    this.markLayer?.remove();
    const layer = h('div', { class: 'chart-marks' });
    const { min, max } = u.scales.x!;
    let shown = 0;
    for (const m of this.marks) {
      if (min === undefined || max === undefined || m.timeS < min || m.timeS > max) continue;
      const left = u.valToPos(m.timeS, 'x');
      const mark = h('div', { class: `chart-mark ${m.className}`, 'data-key': m.key });
      mark.style.left = `${left}px`;
      let tip: HTMLElement | undefined;
      mark.addEventListener('mouseenter', () => {
        tip = m.tip();
        // Near the right edge the tooltip opens to the left.
        if (left > u.over.clientWidth / 2) tip.classList.add('tip-left');
        mark.append(tip);
      });
      mark.addEventListener('mouseleave', () => tip?.remove());
      layer.append(mark);
      shown++;
    }
    u.over.append(layer);
    this.markLayer = layer;
    this.el.dataset.marks = String(shown);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private width(): number {
    return Math.max(200, this.el.clientWidth);
  }

  private options(series: ChartSeries[], startS: number, endS: number): uPlot.Options {
    const unit = this.opts.unit;
    // Canvas strokes do not resolve CSS variables: read the theme's colors.
    const css = getComputedStyle(this.el);
    const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    const axisStroke = color('--fg-muted', '#666');
    const gridStroke = color('--grid', '#e5e5e5');
    return {
      width: this.width(),
      height: this.opts.height,
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length]!,
          width: 1.5,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => formatValue(v, unit),
        })),
      ],
      scales: {
        x: { time: true, min: startS, max: endS },
        y: this.opts.logScale ? { distr: 3, log: 10 } : { auto: true },
      },
      axes: [
        { stroke: axisStroke, grid: { stroke: gridStroke }, ticks: { stroke: gridStroke } },
        {
          stroke: axisStroke,
          grid: { stroke: gridStroke },
          ticks: { stroke: gridStroke },
          size: 70,
          // A log axis hides minor splits as null.
          values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : formatValue(v, unit))),
        },
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      hooks: { draw: [(u) => this.placeMarks(u)] },
    };
  }
}

/** A Prometheus matrix's float samples as chart series: values parsed, timestamps in seconds; histograms left out. */
export function matrixToSeries(
  result: { metric: Record<string, string>; values?: [number, string][] }[],
  label: (m: Record<string, string>) => string,
): ChartSeries[] {
  return result.flatMap((s) =>
    s.values
      ? [{ label: label(s.metric), timestamps: s.values.map((v) => v[0]), values: s.values.map((v) => Number(v[1])) }]
      : [],
  );
}
