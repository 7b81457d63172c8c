// Explore: a PromQL editor over the signed-in tenant's data, with a graph (range query) and a table (instant
// query); the graph can mark the tenant's events (optionally those matching an event search) with their title and
// text on hover. Float samples are lines; each native-histogram series is a heatmap, with the quantiles asked for
// as lines over it (`histogram_quantile` queries). The URL carries the state —
// `#/explore?expr=…&range=1h&step=30s&tab=graph&events=1&events_q=…&quantiles=0.5,0.9` — so a reload or a shared
// link runs the same query.
import { fetchEvents, queryInstant, queryRange, ApiError, type MatrixSeries, type QueryData } from '../api.js';
import { matrixToSeries, TimeChart, type ChartMark } from '../chart.js';
import { alertClass, eventTip } from '../event-view.js';
import { h, replaceChildren } from '../dom.js';
import { createPromQLEditor } from '../editor.js';
import { formatDuration, formatValue, parseDuration, seriesIdentity, seriesName } from '../format.js';
import { Heatmap, type QuantileLine } from '../heatmap.js';
import { histogramBars } from '../histogram-bars.js';
import { parseHistogram, sampleNumber } from '../histogram.js';
import { replaceParams } from '../router.js';
import { errorText, isAbort, RANGES, unqueryablePage, type PageFactory } from './page.js';

type Tab = 'graph' | 'table';
const DEFAULT_RANGE = 3600;
/** Rows a table shows; more would make the page slow, and the API can limit results anyway. */
const MAX_ROWS = 1000;
/** Events marked on a graph at most (the newest). */
const MAX_MARKS = 500;
/** Heatmaps drawn at most: each is a canvas of its own. */
const MAX_HEATMAPS = 20;
const DEFAULT_QUANTILES = '0.5, 0.9, 0.99';

/** Prometheus' UI default: about 250 points over the range, at least 1 s. */
function autoStep(rangeS: number): number {
  return Math.max(1, Math.floor(rangeS / 250));
}

export const explorePage: PageFactory = (root, { session, params }) => {
  const unqueryable = unqueryablePage(root, session, 'explore', 'Explore');
  if (unqueryable) return unqueryable;
  let tab: Tab = params.get('tab') === 'table' ? 'table' : 'graph';
  const askedRange = parseDuration(params.get('range') ?? '');
  let rangeS = askedRange !== undefined && askedRange > 0 ? askedRange : DEFAULT_RANGE;
  let inFlight: AbortController | undefined;

  const editorHost = h('div', { class: 'editor', id: 'expr-editor' });
  const runButton = h('button', { type: 'button', class: 'primary', id: 'run', onclick: () => editor.run() }, 'Run');
  const tabButtons = (['graph', 'table'] as const).map((t) =>
    h(
      'button',
      { type: 'button', class: 'seg', 'data-tab': t, onclick: () => setTab(t) },
      t === 'graph' ? 'Graph' : 'Table',
    ),
  );
  const rangeOptions = RANGES.some((r) => r.seconds === rangeS)
    ? RANGES
    : [...RANGES, { label: formatDuration(rangeS), seconds: rangeS }];
  const rangeSelect = h(
    'select',
    {
      id: 'range',
      onchange: () => {
        rangeS = Number(rangeSelect.value);
        void run();
      },
    },
    ...rangeOptions.map((r) => h('option', { value: r.seconds, selected: r.seconds === rangeS }, r.label)),
  );
  const stepInput = h('input', { id: 'step', size: 8, value: params.get('step') ?? '', onchange: () => void run() });
  const eventsToggle = h('input', {
    type: 'checkbox',
    id: 'show-events',
    checked: params.get('events') === '1',
    onchange: () => void run(),
  });
  const eventsQuery = h('input', {
    type: 'search',
    id: 'events-query',
    placeholder: 'Event search (source:x env:prod text)',
    value: params.get('events_q') ?? '',
    onchange: () => void run(),
  });
  const quantilesToggle = h('input', {
    type: 'checkbox',
    id: 'show-quantiles',
    checked: params.has('quantiles'),
    onchange: () => void run(),
  });
  const quantilesInput = h('input', {
    id: 'quantiles',
    size: 14,
    'aria-label': 'Quantiles of histograms, from 0 to 1',
    value: params.get('quantiles')?.replaceAll(',', ', ') || DEFAULT_QUANTILES,
    onchange: () => void run(),
  });
  const status = h('span', { class: 'status', id: 'query-status' });
  const errorBox = h('pre', { class: 'error', id: 'query-error', hidden: true });
  const notes = h('div', { class: 'notes', id: 'query-notes' });
  const graphEl = h('div', { id: 'graph' });
  const tableEl = h('div', { id: 'table-view', class: 'table-wrap' });
  const heatmapsEl = h('div', { id: 'heatmaps', class: 'heatmaps' });
  const chart = new TimeChart(graphEl, { unit: 'short', height: 360 });
  let heatmaps: Heatmap[] = [];
  /** Whether the last graph has lines to draw: not when every series of it is a histogram. */
  let hasLines = true;

  replaceChildren(
    root,
    h(
      'section',
      { class: 'page explore' },
      h('div', { class: 'query-row' }, editorHost, runButton),
      h(
        'div',
        { class: 'toolbar' },
        h('div', { class: 'segmented' }, ...tabButtons),
        h('label', { class: 'graph-only' }, 'Range ', rangeSelect),
        h('label', { class: 'graph-only' }, 'Step ', stepInput),
        h('label', { class: 'graph-only check' }, eventsToggle, 'Events'),
        h('span', { class: 'graph-only events-only' }, eventsQuery),
        h('label', { class: 'graph-only check' }, quantilesToggle, 'Quantiles'),
        h('span', { class: 'graph-only quantiles-only' }, quantilesInput),
        status,
      ),
      errorBox,
      notes,
      graphEl,
      heatmapsEl,
      tableEl,
    ),
  );
  const editor = createPromQLEditor(editorHost, params.get('expr') ?? '', () => void run());

  const showTab = () => {
    for (const b of tabButtons) b.classList.toggle('active', b.dataset.tab === tab);
    graphEl.hidden = tab !== 'graph' || !hasLines;
    heatmapsEl.hidden = tab !== 'graph';
    tableEl.hidden = tab !== 'table';
    for (const el of root.querySelectorAll<HTMLElement>('.graph-only')) el.hidden = tab !== 'graph';
    for (const el of root.querySelectorAll<HTMLElement>('.events-only')) el.hidden ||= !eventsToggle.checked;
    for (const el of root.querySelectorAll<HTMLElement>('.quantiles-only')) el.hidden ||= !quantilesToggle.checked;
    stepInput.placeholder = `auto (${formatDuration(autoStep(rangeS))})`;
  };

  const setTab = (t: Tab) => {
    tab = t;
    void run();
  };

  const showError = (msg: string) => {
    errorBox.textContent = msg;
    errorBox.hidden = msg === '';
  };

  async function run(): Promise<void> {
    const expr = editor.value().trim();
    const p = new URLSearchParams({ expr, range: formatDuration(rangeS), tab });
    if (stepInput.value.trim() !== '') p.set('step', stepInput.value.trim());
    if (eventsToggle.checked) p.set('events', '1');
    if (eventsToggle.checked && eventsQuery.value.trim() !== '') p.set('events_q', eventsQuery.value.trim());
    if (quantilesToggle.checked) p.set('quantiles', quantilesInput.value.replace(/[\s,]+/g, ',').replace(/^,|,$/g, ''));
    replaceParams('explore', p);
    showTab();
    if (expr === '') return;
    inFlight?.abort();
    const ctl = (inFlight = new AbortController());
    showError('');
    notes.replaceChildren();
    status.textContent = 'Running…';
    const started = performance.now();
    try {
      const nowS = Date.now() / 1000;
      if (tab === 'graph') {
        const stepText = stepInput.value.trim();
        const stepS = stepText === '' ? autoStep(rangeS) : parseDuration(stepText);
        if (stepS === undefined || stepS <= 0)
          throw new ApiError(`invalid step "${stepText}": use a duration like 30s, 5m or 1h`, 400, 'bad_data');
        const quantiles = quantilesToggle.checked ? parseQuantiles(quantilesInput.value) : [];
        const endS = Math.floor(nowS);
        const range = { startS: endS - rangeS, endS, stepS };
        const [r, marks] = await Promise.all([
          queryRange(expr, range.startS, endS, stepS, ctl.signal),
          eventMarks(range.startS, endS, ctl.signal),
        ]);
        const lines = matrixToSeries(r.data.result, seriesName);
        const histogramSeries = r.data.result.filter((s) => s.histograms);
        hasLines = lines.length > 0 || histogramSeries.length === 0;
        showTab();
        chart.update(lines, range.startS, endS);
        chart.setMarks(marks.marks);
        drawHeatmaps(histogramSeries, range);
        const quantileNotes =
          quantiles.length > 0 && histogramSeries.length > 0
            ? await drawQuantiles(expr, quantiles, range, ctl.signal)
            : [];
        showNotes([...r.warnings, ...r.infos, ...marks.notes, ...quantileNotes]);
        const histogramCount = histogramSeries.length > 0 ? ` (${histogramSeries.length} histograms)` : '';
        status.textContent = `${r.data.result.length} series${histogramCount} · step ${formatDuration(stepS)} · ${Math.round(performance.now() - started)} ms`;
      } else {
        const r = await queryInstant(expr, nowS, ctl.signal);
        const rows = renderTable(r.data);
        showNotes([...r.warnings, ...r.infos]);
        status.textContent = `${rows} result${rows === 1 ? '' : 's'} · ${Math.round(performance.now() - started)} ms`;
      }
    } catch (e) {
      if (isAbort(e)) return;
      status.textContent = '';
      showError(errorText(e));
      if (tab === 'graph') {
        // An empty chart over the range asked for (not over the epoch).
        const endS = Math.floor(Date.now() / 1000);
        hasLines = true;
        showTab();
        chart.update([], endS - rangeS, endS);
        chart.setMarks([]);
        drawHeatmaps([], { startS: endS - rangeS, endS, stepS: 1 });
      } else renderTable(undefined);
    }
  }

  /** The events to mark over [startS, endS] when the toggle is on; a failure is a note, not the graph's error. */
  const eventMarks = async (
    startS: number,
    endS: number,
    signal: AbortSignal,
  ): Promise<{ marks: ChartMark[]; notes: string[] }> => {
    if (!eventsToggle.checked) return { marks: [], notes: [] };
    const p: Record<string, string> = {
      from: String(startS * 1000),
      to: String(endS * 1000),
      limit: String(MAX_MARKS),
    };
    if (eventsQuery.value.trim() !== '') p.q = eventsQuery.value.trim();
    try {
      const answer = await fetchEvents(p, signal);
      return {
        marks: answer.events.map((e) => ({
          timeS: e.timeMs / 1000,
          key: e.id,
          className: alertClass(e.alertType),
          tip: () => eventTip(e),
        })),
        notes: answer.next ? [`Marking the newest ${MAX_MARKS} events of the range`] : [],
      };
    } catch (e) {
      if (isAbort(e)) throw e;
      return { marks: [], notes: [`Events not marked: ${errorText(e)}`] };
    }
  };

  /** A heatmap per histogram series (the float samples of a series that has both are drawn as its line). */
  const drawHeatmaps = (series: MatrixSeries[], range: { startS: number; endS: number; stepS: number }) => {
    for (const m of heatmaps) m.destroy();
    heatmaps = series.slice(0, MAX_HEATMAPS).map(
      (s) =>
        new Heatmap(
          {
            label: seriesName(s.metric),
            identity: seriesIdentity(s.metric),
            timestamps: s.histograms!.map(([t]) => t),
            histograms: s.histograms!.map(([, hist]) => parseHistogram(hist)),
          },
          range,
        ),
    );
    replaceChildren(
      heatmapsEl,
      ...heatmaps.map((m) => m.el),
      series.length > heatmaps.length
        ? h('div', { class: 'note' }, `Showing ${heatmaps.length} of ${series.length} histogram series`)
        : null,
    );
  };

  /**
   * `histogram_quantile(q, <expr>)` for each quantile over the graph's range, drawn over the heatmap of the series
   * each answer's series comes from (the function drops the name, so the rest of the labels match). Returns notes:
   * the answers' warnings and infos, each once, or why the quantiles could not be drawn (the heatmaps still are).
   */
  const drawQuantiles = async (
    expr: string,
    quantiles: number[],
    range: { startS: number; endS: number; stepS: number },
    signal: AbortSignal,
  ): Promise<string[]> => {
    // A trailing comment in the expression would swallow the closing parenthesis on the same line.
    const close = expr.includes('#') ? '\n)' : ')';
    let answers: Awaited<ReturnType<typeof queryRange>>[];
    try {
      answers = await Promise.all(
        quantiles.map((q) =>
          queryRange(`histogram_quantile(${q}, ${expr}${close}`, range.startS, range.endS, range.stepS, signal),
        ),
      );
    } catch (e) {
      if (isAbort(e)) throw e;
      return [`Quantiles not drawn: ${errorText(e)}`];
    }
    for (const m of heatmaps)
      m.setQuantiles(
        answers.flatMap((a, i): QuantileLine[] => {
          const s = a.data.result.find((x) => x.values && seriesIdentity(x.metric) === m.identity);
          if (!s?.values) return [];
          return [
            {
              q: quantiles[i]!,
              timestamps: s.values.map(([t]) => t),
              values: s.values.map(([, v]) => sampleNumber(v)),
            },
          ];
        }),
      );
    return [...new Set(answers.flatMap((a) => [...a.warnings, ...a.infos]))];
  };

  const showNotes = (messages: string[]) => {
    notes.replaceChildren(...messages.map((m) => h('div', { class: 'note' }, m)));
  };

  /** Fills the table; returns the number of results. A histogram shows as its buckets' bars. */
  const renderTable = (data: QueryData | undefined): number => {
    const rows: [string, string | HTMLElement][] = [];
    if (data?.resultType === 'vector')
      for (const s of data.result)
        rows.push([
          seriesName(s.metric),
          s.histogram ? histogramBars(parseHistogram(s.histogram[1])) : formatSample(s.value?.[1] ?? ''),
        ]);
    else if (data?.resultType === 'matrix') {
      for (const s of data.result) {
        const samples = [
          ...(s.values ?? []).map(([t, v]): [number, string] => [t, formatSample(v)]),
          ...(s.histograms ?? []).map(([t, hist]): [number, string] => [t, `{count: ${hist.count}, sum: ${hist.sum}}`]),
        ].sort((a, b) => a[0] - b[0]);
        rows.push([seriesName(s.metric), samples.map(([t, v]) => `${v} @${t}`).join('\n')]);
      }
    } else if (data) rows.push([data.resultType, data.result[1]]);
    const shown = rows.slice(0, MAX_ROWS);
    const table = h(
      'table',
      { class: 'data', id: 'result-table', 'data-rows': rows.length },
      h('thead', {}, h('tr', {}, h('th', {}, 'Series'), h('th', { class: 'num' }, 'Value'))),
      h(
        'tbody',
        {},
        ...shown.map(([k, v]) => h('tr', {}, h('td', { class: 'mono' }, k), h('td', { class: 'num mono' }, v))),
      ),
    );
    replaceChildren(
      tableEl,
      table,
      rows.length === 0 && data ? h('div', { class: 'empty' }, 'No data') : null,
      rows.length > shown.length
        ? h('div', { class: 'note' }, `Showing ${shown.length} of ${rows.length} results`)
        : null,
    );
    return rows.length;
  };

  showTab();
  if (editor.value().trim() !== '') void run();
  else editor.focus();

  return {
    unmount: () => {
      inFlight?.abort();
      chart.destroy();
      for (const m of heatmaps) m.destroy();
      editor.destroy();
    },
  };
};

/** `0.5, 0.9 0.99` → [0.5, 0.9, 0.99]; anything but numbers from 0 to 1 is a 400-like error naming it. */
function parseQuantiles(text: string): number[] {
  const words = text.split(/[\s,]+/).filter((w) => w !== '');
  for (const w of words)
    if (!/^(0(\.\d*)?|1(\.0*)?|\.\d+)$/.test(w))
      throw new ApiError(`invalid quantile "${w}": use numbers from 0 to 1, like 0.5, 0.9, 0.99`, 400, 'bad_data');
  return [...new Set(words.map(Number))];
}

/** A sample value as the API sends it (a string), shown as the number it is; exact digits kept. */
function formatSample(v: string): string {
  const n = Number(v);
  return Number.isFinite(n) && Math.abs(n) >= 1e6 ? `${v} (${formatValue(n)})` : v;
}
