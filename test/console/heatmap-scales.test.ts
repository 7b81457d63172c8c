import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  axisPosition,
  axisTicks,
  bucketAxis,
  colourFraction,
  colourOf,
  colourRgb,
  colourScale,
  heatmapCells,
  timeTicks,
} from '../../web/console/heatmap-scales.js';
import { rasterize } from '../../web/console/heatmap-raster.js';
import { boundText, bucketText, type HistogramJson, parseHistogram } from '../../web/console/histogram.js';

// The heatmap's pure parts (web/console runs them in the browser): the API's histogram JSON read into numbers, the
// y axis every bucket of a series is placed on, and the colour scale of the counts.

const hist = (buckets: HistogramJson['buckets'], count = '0') => parseHistogram({ count, sum: '0', buckets });

/** Schema 0 as the API writes it: one in [-4,-2), two in the zero bucket, three in (0.5,1], four in (1,2]. */
const schema0 = hist([
  [1, '-4', '-2', '1'],
  [3, '-0.001', '0.001', '2'],
  [0, '0.5', '1', '3'],
  [0, '1', '2', '4'],
]);
/** Schema 1 later in the series: twice the resolution, (√½, 1] inside schema 0's (0.5, 1]. */
const schema1 = hist([
  [0, '0.7071067811865475', '1', '5'],
  [0, '1', '1.4142135623730951', '6'],
]);
/** Custom buckets (schema -53) with an infinite last bucket, then the same series at a coarser layout. */
const custom = hist([
  [0, '0', '5', '1'],
  [0, '5', '10', '2'],
  [0, '10', '+Inf', '1'],
]);
const customCoarse = hist([
  [0, '0', '10', '3'],
  [0, '10', '+Inf', '1'],
]);

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≉ ${b}`);

test('the API’s histogram JSON is read into numbers, infinite bounds included', () => {
  const h = parseHistogram({ count: '4', sum: '+Inf', buckets: [[0, '10', '+Inf', '1.5']] });
  assert.deepEqual(h, { count: 4, sum: Infinity, buckets: [{ rule: 0, lower: 10, upper: Infinity, count: 1.5 }] });
  assert.deepEqual(parseHistogram({ count: '0', sum: '0' }).buckets, []);
  assert.deepEqual(
    schema0.buckets.map((b) => bucketText(b, boundText)),
    ['[-4, -2)', '[-0.001, 0.001]', '(0.5, 1]', '(1, 2]'],
  );
  assert.equal(bucketText({ rule: 2, lower: 1, upper: Infinity }, boundText), '(1, +Inf)');
});

test('exponential buckets go on a log axis; a schema change lands the finer buckets inside the coarser ones', () => {
  const axis = bucketAxis([schema0, schema1]);
  assert.equal(axis.kind, 'log');
  assert.ok(axis.kind === 'log');
  assert.equal(axis.min, 0.5);
  assert.equal(axis.max, 2);
  assert.ok(axis.lowBand > 0, 'the zero and negative buckets have a band');
  // Above the band, equal ratios are equal heights: 0.5 → 1 → 2 in two equal steps, √½ half way up the first.
  const band = axis.lowBand;
  close(axisPosition(axis, 0.5), band);
  close(axisPosition(axis, 1), band + (1 - band) / 2);
  close(axisPosition(axis, 2), 1);
  close(axisPosition(axis, Math.SQRT1_2), band + (1 - band) / 4);
  // A quantile at 0 or below sits in the band; beyond the ends it is clamped.
  assert.ok(axisPosition(axis, 0) < band);
  assert.equal(axisPosition(axis, 100), 1);

  const cells = heatmapCells(axis, schema0);
  assert.deepEqual(
    cells.map((c) => [c.count, c.buckets.length]),
    [
      [3, 2], // the band: [-4,-2) and the zero bucket pooled
      [3, 1],
      [4, 1],
    ],
  );
  close(cells[0]!.y0, 0);
  close(cells[0]!.y1, band);
  const [fine] = heatmapCells(axis, schema1);
  assert.ok(fine!.y0 > cells[1]!.y0 && fine!.y1 === cells[1]!.y1, 'schema 1’s (√½, 1] is the top half of (0.5, 1]');
});

test('positive exponential buckets alone have no band; other ratios are not exponential', () => {
  const axis = bucketAxis([schema1]);
  assert.deepEqual(axis, { kind: 'log', min: 0.7071067811865475, max: Math.SQRT2, lowBand: 0 });
  // 1 → 3 is no power-of-two-root ratio: rows of equal height instead.
  assert.equal(bucketAxis([hist([[0, '1', '3', '1']])]).kind, 'ordinal');
});

test('custom buckets go on an ordinal axis: a row per bound pair, a coarser bucket spans its rows', () => {
  const axis = bucketAxis([custom, customCoarse]);
  assert.deepEqual(axis, { kind: 'ordinal', bounds: [0, 5, 10, Infinity] });
  const rows = (h: typeof custom) => heatmapCells(axis, h).map((c) => [c.y0, c.y1]);
  assert.deepEqual(rows(custom), [
    [0, 1 / 3],
    [1 / 3, 2 / 3],
    [2 / 3, 1],
  ]);
  assert.deepEqual(rows(customCoarse), [
    [0, 2 / 3],
    [2 / 3, 1],
  ]);
  // A quantile is placed linearly inside its row; in the infinite row, half way.
  close(axisPosition(axis, 7.5), 0.5);
  close(axisPosition(axis, 1000), 2 / 3 + 1 / 6);
  assert.deepEqual(
    axisTicks(axis, 8).map((t) => t.value),
    [0, 5, 10],
  );
  // Only the zero bucket (every observation 0): one row for it all.
  const zeros = hist([[3, '0', '0', '7']]);
  assert.deepEqual(
    heatmapCells(bucketAxis([zeros]), zeros).map((c) => [c.y0, c.y1, c.count]),
    [[0, 1, 7]],
  );
});

test('log axis ticks are the powers of ten inside it, or of two when fewer than two fit', () => {
  const wide = hist([
    [0, '0.5', '1', '1'],
    [0, '512', '1024', '1'],
  ]);
  assert.deepEqual(
    axisTicks(bucketAxis([wide]), 8).map((t) => t.value),
    [1, 10, 100, 1000],
  );
  assert.deepEqual(
    axisTicks(bucketAxis([schema0]), 8).map((t) => t.value),
    [0.5, 1, 2],
  );
});

test('the colour scale: linear from zero over a narrow range, log over two decades or more', () => {
  assert.equal(colourScale([0, -1, Number.NaN]), undefined);
  const narrow = colourScale([0, 2, 5, 10])!;
  assert.deepEqual(narrow, { min: 2, max: 10, log: false });
  assert.equal(colourFraction(narrow, 5), 0.5);
  assert.equal(colourFraction(narrow, 10), 1);
  const wide = colourScale([1, 10, 100, 1000])!;
  assert.equal(wide.log, true);
  assert.equal(colourFraction(wide, 1), 0);
  close(colourFraction(wide, 10), 1 / 3);
  assert.equal(colourFraction(wide, 5000), 1);
  // Viridis' ends, and a count between two stops mixes them.
  assert.equal(colourOf(0), 'rgb(68, 1, 84)');
  assert.equal(colourOf(1), 'rgb(253, 231, 37)');
  assert.equal(colourOf(0.125), 'rgb(64, 42, 112)');
});

test('time ticks are multiples of the smallest round step that keeps them few enough', () => {
  assert.deepEqual(timeTicks(1_000_003, 1_000_303, 6), {
    stepS: 60,
    times: [1_000_020, 1_000_080, 1_000_140, 1_000_200, 1_000_260],
  });
  assert.equal(timeTicks(0, 7 * 86400, 6).stepS, 172800);
  assert.equal(timeTicks(0, 30, 6).stepS, 5);
});

test('a long range at schema 6 (250 samples of 700 buckets) gets its axis and colours', () => {
  const base = 2 ** (1 / 64);
  const sample = parseHistogram({
    count: '0',
    sum: '0',
    buckets: Array.from({ length: 700 }, (_, k) => [0, String(base ** (k - 1)), String(base ** k), String(k + 1)]),
  });
  const samples = Array.from({ length: 250 }, () => sample);
  const axis = bucketAxis(samples);
  assert.equal(axis.kind, 'log');
  assert.ok(axis.kind === 'log' && axis.min === base ** -1);
  const cells = samples.flatMap((h) => heatmapCells(axis, h));
  assert.deepEqual(colourScale(cells.map((c) => c.count)), { min: 1, max: 700, log: true });
});

test('cells become pixels: a cell at least one pixel high, the largest count where several share a pixel', () => {
  const scale = { min: 1, max: 4, log: false };
  const cell = (y0: number, y1: number, count: number) => ({ y0, y1, count, buckets: [] });
  // A 2 × 4 image: column 0 holds a cell over the lower half and two thin ones sharing the top row; column 1 a
  // zero count (not drawn).
  const pixels = rasterize(
    [
      { x0: 0, x1: 1, cells: [cell(0, 0.5, 1), cell(0.9, 0.95, 2), cell(0.95, 1, 4)] },
      { x0: 1, x1: 2, cells: [cell(0, 1, 0)] },
    ],
    2,
    4,
    scale,
  );
  const at = (x: number, y: number) => [...pixels.slice((y * 2 + x) * 4, (y * 2 + x) * 4 + 4)];
  assert.deepEqual(at(0, 0), [...colourRgb(1), 255]);
  assert.deepEqual(at(0, 1), [0, 0, 0, 0]);
  assert.deepEqual(at(0, 2), [...colourRgb(0.25), 255]);
  assert.deepEqual(at(0, 3), [...colourRgb(0.25), 255]);
  for (let y = 0; y < 4; y++) assert.deepEqual(at(1, y), [0, 0, 0, 0]);
});
