// One native histogram sample as a bar view: its count and sum, then a row per bucket (bounds, count, a bar as long
// as the count relative to the largest), for Explore's table of an instant query.
import { h } from './dom.js';
import { formatValue } from './format.js';
import { boundText, bucketText, type Histogram } from './histogram.js';

export function histogramBars(hist: Histogram): HTMLElement {
  const largest = hist.buckets.reduce((m, b) => Math.max(m, Math.abs(b.count)), 0);
  return h(
    'div',
    { class: 'histogram-bars' },
    h('div', {}, `count ${formatValue(hist.count)} · sum ${formatValue(hist.sum)}`),
    h(
      'div',
      // Fine schemas have hundreds of buckets: the list scrolls, and takes the keyboard focus to scroll by keys.
      { class: 'buckets-scroll', tabindex: 0, 'aria-label': `${hist.buckets.length} buckets` },
      h(
        'table',
        { class: 'buckets', 'data-buckets': hist.buckets.length },
        h(
          'thead',
          {},
          h('tr', {}, h('th', {}, 'Bucket'), h('th', { class: 'num' }, 'Count'), h('th', { 'aria-hidden': 'true' })),
        ),
        h(
          'tbody',
          {},
          ...hist.buckets.map((b) => {
            const bar = h('div', { class: 'bar' });
            bar.style.width = `${largest > 0 ? (Math.abs(b.count) / largest) * 100 : 0}%`;
            return h(
              'tr',
              { 'data-lower': boundText(b.lower), 'data-upper': boundText(b.upper), 'data-count': b.count },
              h('td', { class: 'mono' }, bucketText(b, boundText)),
              h('td', { class: 'num mono' }, String(b.count)),
              h('td', { class: 'bar-cell', 'aria-hidden': 'true' }, bar),
            );
          }),
        ),
      ),
    ),
  );
}
