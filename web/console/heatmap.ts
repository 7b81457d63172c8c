// A native-histogram series drawn as a heatmap on a canvas: x time, y the buckets (heatmap-scales.ts), colour the
// count; quantile lines over it, a colour legend, a readout of the cell under the pointer or the keyboard focus
// (arrow keys move between samples and buckets), and a table of the focused sample's buckets as its text
// alternative. The element carries `data-series`, `data-axis`, `data-samples`, `data-buckets` (distinct buckets of
// the range) and `data-quantiles` (quantile lines drawn), its table `data-sample` and `data-time` (the sample it
// lists, s), which the browser tests read.
import { h } from './dom.js';
import { formatValue } from './format.js';
import { boundText, bucketText, type Histogram } from './histogram.js';
import { rasterize } from './heatmap-raster.js';
import {
  axisPosition,
  axisTicks,
  bucketAxis,
  type BucketAxis,
  colourOf,
  type ColourScale,
  colourScale,
  type HeatmapCell,
  heatmapCells,
  timeTicks,
} from './heatmap-scales.js';

export interface HeatmapSeries {
  label: string;
  /** The labels without the name (`seriesIdentity`): how a `histogram_quantile` answer's series is matched to it. */
  identity: string;
  /** Seconds, ascending. */
  timestamps: number[];
  histograms: Histogram[];
}

/** A quantile of the series over time, as `histogram_quantile` answered it. */
export interface QuantileLine {
  q: number;
  timestamps: number[];
  values: number[];
}

const HEIGHT = 280;
const MARGIN = { left: 72, right: 12, top: 8, bottom: 22 };
const QUANTILE_COLOURS = ['#ffffff', '#ff9830', '#f2495c', '#5794f2', '#b877d9'];
const Y_TICKS = 8;
const X_TICKS = 6;

/** Numbers the ids that tie each heatmap's canvas, readout and table together. */
let heatmapCount = 0;

/** `p50`, `p99.9`. */
function quantileName(q: number): string {
  return `p${Number((q * 100).toPrecision(6))}`;
}

export class Heatmap {
  readonly el: HTMLElement;
  private readonly head: HTMLElement;
  /** The cells, quantile lines and axes: drawn again only when the data or the size change. */
  private readonly cellsCanvas: HTMLCanvasElement;
  /** Over it, the focused cell's outline; the element that takes the pointer and the keyboard. */
  private readonly canvas: HTMLCanvasElement;
  private readonly readout: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly resize: ResizeObserver;
  private readonly axis: BucketAxis;
  /** Per sample, its cells from the bottom up. */
  private readonly columns: HeatmapCell[][];
  private readonly colours: ColourScale | undefined;
  private quantiles: QuantileLine[] = [];
  /** The focused sample and cell (keyboard or pointer); the table shows that sample. */
  private focus: { sample: number; cell: number } | undefined;
  private pointing = false;

  constructor(
    private readonly series: HeatmapSeries,
    private readonly range: { startS: number; endS: number; stepS: number },
  ) {
    this.axis = bucketAxis(series.histograms);
    this.columns = series.histograms.map((hist) =>
      heatmapCells(this.axis, hist).sort((a, b) => a.y0 - b.y0 || a.y1 - b.y1),
    );
    this.colours = colourScale(this.columns.flatMap((c) => c.map((cell) => cell.count)));
    const distinct = new Set(series.histograms.flatMap((hist) => hist.buckets.map((b) => `${b.lower} ${b.upper}`)));
    const id = `heatmap-${++heatmapCount}`;
    this.cellsCanvas = h('canvas', { class: 'heatmap-cells', 'aria-hidden': 'true' });
    this.canvas = h('canvas', {
      class: 'heatmap-canvas',
      tabindex: 0,
      role: 'img',
      'aria-label': `Heatmap of ${series.label}: ${series.timestamps.length} samples, ${distinct.size} buckets. Arrow keys move between samples and buckets; the table lists the buckets of the chosen sample.`,
      'aria-describedby': `${id}-readout`,
    });
    this.readout = h('div', { class: 'heatmap-readout mono', id: `${id}-readout`, 'aria-live': 'polite' });
    this.legend = h('div', { class: 'heatmap-legend' });
    this.table = h('table', { class: 'data heatmap-table' });
    // Fine schemas have hundreds of buckets: the table scrolls, and takes the keyboard focus to scroll by keys.
    const tableScroll = h('div', { class: 'table-scroll', id: `${id}-table`, tabindex: 0, hidden: true }, this.table);
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'heatmap-table-toggle',
        'aria-expanded': 'false',
        'aria-controls': `${id}-table`,
        onclick: () => {
          tableScroll.hidden = !tableScroll.hidden;
          toggle.setAttribute('aria-expanded', String(!tableScroll.hidden));
          toggle.textContent = tableScroll.hidden ? 'Show table' : 'Hide table';
        },
      },
      'Show table',
    );
    this.head = h('div', { class: 'heatmap-head' }, h('h2', { class: 'mono' }, series.label), toggle);
    this.el = h(
      'section',
      {
        class: 'heatmap',
        'data-series': series.label,
        'data-axis': this.axis.kind,
        'data-samples': series.timestamps.length,
        'data-buckets': distinct.size,
        'data-quantiles': 0,
      },
      this.head,
      h('div', { class: 'heatmap-plot' }, this.cellsCanvas, this.canvas),
      this.readout,
      this.legend,
      tableScroll,
    );
    this.canvas.addEventListener('mousemove', (e) => {
      this.pointing = true;
      this.pointAt(e.offsetX, e.offsetY);
    });
    this.canvas.addEventListener('mouseleave', () => {
      this.pointing = false;
      this.setFocus(undefined);
    });
    this.canvas.addEventListener('focus', () => this.drawFocus());
    this.canvas.addEventListener('blur', () => this.drawFocus());
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.el);
    this.focus = this.lastFocus();
    this.renderTable();
    this.renderLegend();
    this.showReadout();
  }

  get identity(): string {
    return this.series.identity;
  }

  setQuantiles(lines: QuantileLine[]): void {
    this.quantiles = lines;
    this.el.dataset.quantiles = String(lines.filter((l) => l.values.some(Number.isFinite)).length);
    this.renderLegend();
    this.draw();
  }

  destroy(): void {
    this.resize.disconnect();
    this.el.remove();
  }

  /** The canvas spans the section's content box, which the head fills. */
  private get plotWidth(): number {
    return Math.max(100, this.head.clientWidth - MARGIN.left - MARGIN.right);
  }

  private get plotHeight(): number {
    return HEIGHT - MARGIN.top - MARGIN.bottom;
  }

  private x(t: number): number {
    const { startS, endS } = this.range;
    return MARGIN.left + ((t - startS) / (endS - startS)) * this.plotWidth;
  }

  private y(fraction: number): number {
    return MARGIN.top + (1 - fraction) * this.plotHeight;
  }

  /** A sample's column: the step that ends at its time (the window its value describes), within the plot. */
  private columnX(t: number): [number, number] {
    const left = Math.max(MARGIN.left, this.x(t - this.range.stepS));
    return [left, Math.max(left + 1, Math.min(MARGIN.left + this.plotWidth, this.x(t)))];
  }

  /** Sizes a canvas to the plot (cleared, in CSS pixels at the screen's resolution); undefined without a context. */
  private context(canvas: HTMLCanvasElement): CanvasRenderingContext2D | undefined {
    const width = this.plotWidth + MARGIN.left + MARGIN.right;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(HEIGHT * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${HEIGHT}px`;
    const ctx = canvas.getContext('2d');
    ctx?.setTransform(ratio, 0, 0, ratio, 0, 0);
    return ctx ?? undefined;
  }

  private draw(): void {
    const ctx = this.context(this.cellsCanvas);
    if (!ctx) return;
    // Canvas fills do not resolve CSS variables: read the theme's colours.
    const css = getComputedStyle(this.el);
    const themed = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    const fg = themed('--fg-muted', '#666');
    ctx.fillStyle = themed('--none', '#e9ecef');
    ctx.fillRect(MARGIN.left, MARGIN.top, this.plotWidth, this.plotHeight);

    this.drawCells(ctx);
    this.drawQuantiles(ctx);
    this.drawAxes(ctx, fg);
    this.drawFocus();
  }

  /** The cells as an image at the screen's resolution, laid over the plot area. */
  private drawCells(ctx: CanvasRenderingContext2D): void {
    if (!this.colours) return;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(this.plotWidth * ratio);
    const height = Math.round(this.plotHeight * ratio);
    const columns = this.series.timestamps.map((t, i) => {
      const [x0, x1] = this.columnX(t);
      return { x0: (x0 - MARGIN.left) * ratio, x1: (x1 - MARGIN.left) * ratio, cells: this.columns[i]! };
    });
    const image = new ImageData(rasterize(columns, width, height, this.colours), width, height);
    // putImageData would replace the background and ignore the transform: go through a canvas and drawImage.
    const layer = document.createElement('canvas');
    layer.width = width;
    layer.height = height;
    layer.getContext('2d')?.putImageData(image, 0, 0);
    ctx.drawImage(layer, MARGIN.left, MARGIN.top, this.plotWidth, this.plotHeight);
  }

  private drawQuantiles(ctx: CanvasRenderingContext2D): void {
    this.quantiles.forEach((line, i) => {
      ctx.beginPath();
      let drawing = false;
      line.timestamps.forEach((t, k) => {
        const v = line.values[k]!;
        if (!Number.isFinite(v)) {
          drawing = false;
          return;
        }
        const px = this.x(t);
        const py = this.y(axisPosition(this.axis, v));
        if (drawing) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
        drawing = true;
      });
      // A dark casing keeps the line readable over bright and dark cells alike.
      ctx.lineJoin = 'round';
      ctx.strokeStyle = 'rgba(0, 0, 0, 0.6)';
      ctx.lineWidth = 3.5;
      ctx.stroke();
      ctx.strokeStyle = QUANTILE_COLOURS[i % QUANTILE_COLOURS.length]!;
      ctx.lineWidth = 1.5;
      ctx.stroke();
    });
  }

  /** The focused cell's outline, while the canvas has the keyboard focus or the pointer. */
  private drawFocus(): void {
    const ctx = this.context(this.canvas);
    const cell = this.focusedCell();
    if (!ctx || !cell || !this.focus || !(this.pointing || document.activeElement === this.canvas)) return;
    const [x0, x1] = this.columnX(this.series.timestamps[this.focus.sample]!);
    const top = this.y(cell.y1);
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 2;
    ctx.strokeRect(x0 - 1, top - 1, x1 - x0 + 2, Math.max(1, this.y(cell.y0) - top) + 2);
  }

  private drawAxes(ctx: CanvasRenderingContext2D, fg: string): void {
    ctx.fillStyle = fg;
    ctx.strokeStyle = fg;
    ctx.lineWidth = 1;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const tick of axisTicks(this.axis, Y_TICKS)) {
      const py = this.y(tick.y);
      ctx.fillText(formatValue(tick.value), MARGIN.left - 6, py);
      ctx.beginPath();
      ctx.moveTo(MARGIN.left - 3, py);
      ctx.lineTo(MARGIN.left, py);
      ctx.stroke();
    }
    if (this.axis.kind === 'log' && this.axis.lowBand > 0)
      ctx.fillText('zero, <0', MARGIN.left - 6, this.y(this.axis.lowBand / 2));
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const { stepS, times } = timeTicks(this.range.startS, this.range.endS, X_TICKS);
    const right = MARGIN.left + this.plotWidth + MARGIN.right;
    for (const t of times) {
      const d = new Date(t * 1000);
      const label =
        stepS >= 86400
          ? d.toLocaleDateString([], { month: 'short', day: 'numeric' })
          : d.toLocaleTimeString([], {
              hour: '2-digit',
              minute: '2-digit',
              ...(stepS < 60 ? { second: '2-digit' } : {}),
            });
      // A label at either end stays whole inside the canvas.
      const half = ctx.measureText(label).width / 2;
      ctx.fillText(label, Math.min(right - half, Math.max(half, this.x(t))), HEIGHT - MARGIN.bottom + 5);
    }
  }

  private renderLegend(): void {
    const stops = [0, 0.25, 0.5, 0.75, 1].map((f) => `${colourOf(f)} ${f * 100}%`).join(', ');
    const scale = this.colours;
    this.legend.replaceChildren(
      h('span', { class: 'heatmap-scale-label' }, scale ? formatValue(scale.min) : '–'),
      h('span', { class: 'heatmap-gradient', style: `background: linear-gradient(to right, ${stops})` }),
      h('span', { class: 'heatmap-scale-label' }, scale ? formatValue(scale.max) : '–'),
      h(
        'span',
        { class: 'heatmap-scale-kind' },
        scale?.log ? 'count (or rate) per bucket, log colour scale' : 'count (or rate) per bucket',
      ),
      ...this.quantiles.map((line, i) =>
        h(
          'span',
          { class: 'heatmap-quantile-key', 'data-q': line.q },
          h('span', { class: 'swatch', style: `background: ${QUANTILE_COLOURS[i % QUANTILE_COLOURS.length]}` }),
          quantileName(line.q),
        ),
      ),
    );
  }

  private lastFocus(): { sample: number; cell: number } | undefined {
    const sample = this.columns.length - 1;
    return sample < 0 ? undefined : { sample, cell: Math.max(0, this.columns[sample]!.length - 1) };
  }

  private focusedCell(): HeatmapCell | undefined {
    return this.focus ? this.columns[this.focus.sample]?.[this.focus.cell] : undefined;
  }

  /** Focuses a cell (`cell` -1: a time with no bucket under the pointer); undefined goes back to the newest. */
  private setFocus(focus: { sample: number; cell: number } | undefined): void {
    const next = focus ?? this.lastFocus();
    const sampleChanged = next?.sample !== this.focus?.sample;
    this.focus = next;
    if (sampleChanged) this.renderTable();
    this.showReadout();
    this.drawFocus();
  }

  /** The pointer at (px, py): the sample whose column holds it, and its cell there. */
  private pointAt(px: number, py: number): void {
    const { timestamps } = this.series;
    const sample = timestamps.findIndex((t) => {
      const [x0, x1] = this.columnX(t);
      return px >= x0 && px < x1;
    });
    if (sample < 0) return this.setFocus(undefined);
    const fraction = 1 - (py - MARGIN.top) / this.plotHeight;
    this.setFocus({ sample, cell: this.columns[sample]!.findIndex((c) => fraction >= c.y0 && fraction <= c.y1) });
  }

  private onKey(e: KeyboardEvent): void {
    const last = this.columns.length - 1;
    if (last < 0 || !this.focus) return;
    let { sample, cell } = this.focus;
    if (e.key === 'ArrowLeft') sample = Math.max(0, sample - 1);
    else if (e.key === 'ArrowRight') sample = Math.min(last, sample + 1);
    else if (e.key === 'Home') sample = 0;
    else if (e.key === 'End') sample = last;
    else if (e.key === 'ArrowUp') cell++;
    else if (e.key === 'ArrowDown') cell--;
    else return;
    e.preventDefault();
    const cells = this.columns[sample]!.length;
    this.setFocus({ sample, cell: Math.min(Math.max(0, cell), Math.max(0, cells - 1)) });
  }

  private showReadout(): void {
    if (!this.focus) {
      this.readout.textContent = 'No histogram samples';
      return;
    }
    const time = new Date(this.series.timestamps[this.focus.sample]! * 1000).toLocaleString();
    const cell = this.focusedCell();
    const buckets = cell
      ? cell.buckets.map((b) => `${bucketText(b, boundText)}: count ${formatValue(b.count)}`).join(', ')
      : 'no bucket here';
    this.readout.textContent = `${time} · ${buckets}`;
  }

  /** The focused sample's buckets (the newest until a sample is chosen): the heatmap as text. */
  private renderTable(): void {
    const sample = this.focus?.sample ?? this.columns.length - 1;
    const hist = this.series.histograms[sample];
    const t = this.series.timestamps[sample];
    const caption =
      hist && t !== undefined
        ? `Buckets of ${this.series.label} at ${new Date(t * 1000).toLocaleString()} (sample ${sample + 1} of ${this.columns.length}): count ${formatValue(hist.count)}, sum ${formatValue(hist.sum)}`
        : `No histogram samples of ${this.series.label}`;
    this.table.replaceChildren(
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Bucket'),
          h('th', { class: 'num' }, 'Lower'),
          h('th', { class: 'num' }, 'Upper'),
          h('th', { class: 'num' }, 'Count'),
        ),
      ),
      h(
        'tbody',
        {},
        ...(hist?.buckets ?? []).map((b) =>
          h(
            'tr',
            { 'data-lower': boundText(b.lower), 'data-upper': boundText(b.upper), 'data-count': b.count },
            h('td', { class: 'mono' }, bucketText(b, boundText)),
            h('td', { class: 'num mono' }, boundText(b.lower)),
            h('td', { class: 'num mono' }, boundText(b.upper)),
            h('td', { class: 'num mono' }, String(b.count)),
          ),
        ),
      ),
    );
    this.table.dataset.sample = String(sample);
    this.table.dataset.time = String(t ?? '');
  }
}
