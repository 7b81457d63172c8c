// The heatmap's cells as the pixels of an image, without the DOM (the unit tests run it under Node). A long range at
// a fine schema is hundreds of thousands of cells, many thinner than a pixel: one canvas call per cell takes most of
// a second, filling a pixel buffer takes milliseconds. Where several cells fall on one pixel, it shows the largest
// count, so a hot bucket never hides behind a quiet neighbour.
import { type ColourScale, colourFraction, colourRgb, type HeatmapCell } from './heatmap-scales.js';

/** One sample's column: its horizontal extent in pixels of the image, and its cells. */
export interface RasterColumn {
  x0: number;
  x1: number;
  cells: HeatmapCell[];
}

/** Levels of the colour lookup table: finer than the eye tells apart. */
const LEVELS = 256;

/** RGBA pixels (row by row from the top) of a `width` × `height` image; transparent where no count is positive. */
export function rasterize(
  columns: RasterColumn[],
  width: number,
  height: number,
  scale: ColourScale,
): Uint8ClampedArray<ArrayBuffer> {
  const largest = new Float64Array(width * height);
  for (const { x0, x1, cells } of columns) {
    const left = Math.max(0, Math.floor(x0));
    const right = Math.min(width, Math.max(left + 1, Math.floor(x1)));
    for (const cell of cells) {
      if (!(cell.count > 0)) continue;
      // Positions run from the bottom up, rows from the top down; a cell is at least one pixel high.
      const top = Math.max(0, Math.min(height - 1, Math.floor((1 - cell.y1) * height)));
      const bottom = Math.min(height, Math.max(top + 1, Math.floor((1 - cell.y0) * height)));
      for (let y = top; y < bottom; y++)
        for (let x = left; x < right; x++) {
          const i = y * width + x;
          if (cell.count > largest[i]!) largest[i] = cell.count;
        }
    }
  }
  const lut = Array.from({ length: LEVELS }, (_, k) => colourRgb(k / (LEVELS - 1)));
  const pixels = new Uint8ClampedArray(width * height * 4);
  largest.forEach((count, i) => {
    if (count === 0) return;
    const [r, g, b] = lut[Math.round(colourFraction(scale, count) * (LEVELS - 1))]!;
    pixels.set([r, g, b, 255], i * 4);
  });
  return pixels;
}
