// The strict exposition parser used by the metrics tests accepts what Prometheus accepts
// and refuses what would break a scrape, so "it parses" in those tests means something.
import { describe, expect, it } from '@jest/globals';
import { Counter, Histogram, Registry } from 'prom-client';
import { ExpositionError, parseExposition, total } from '../helpers/metrics-text.ts';

describe('Prometheus text parser (strict)', () => {
  it('parses prom-client output, including escaped label values and histograms', async () => {
    const r = new Registry();
    const c = new Counter({ name: 'x_total', help: 'h', labelNames: ['v'], registers: [r] });
    c.inc({ v: 'a"b\\c\nd' }, 2);
    const h = new Histogram({ name: 'lat_seconds', help: 'h', labelNames: ['op'], buckets: [0.1, 1], registers: [r] });
    h.observe({ op: 'a' }, 0.05);
    h.observe({ op: 'a' }, 5);
    const m = parseExposition(await r.metrics());
    expect(m.get('x_total')?.samples[0].labels.v).toBe('a"b\\c\nd');
    expect(total(m, 'lat_seconds_count', { op: 'a' })).toBe(2);
    expect(total(m, 'lat_seconds_bucket', { op: 'a', le: '+Inf' })).toBe(2);
  });

  it('accepts NaN and Inf in any case, as Prometheus (Go ParseFloat) does', () => {
    const m = parseExposition('a Nan\nb +Inf\nc -inf\n');
    expect(Number.isNaN(m.get('a')!.samples[0].value)).toBe(true);
    expect([m.get('b')!.samples[0].value, m.get('c')!.samples[0].value]).toEqual([Infinity, -Infinity]);
  });

  it.each([
    ['missing final newline', 'a 1'],
    ['bad metric name', '1a 1\n'],
    ['unterminated label value', 'a{b="c} 1\n'],
    ['bad escape', 'a{b="\\x"} 1\n'],
    ['not a number', 'a one\n'],
    ['duplicate series', 'a{b="1"} 1\na{b="1"} 2\n'],
    ['TYPE after samples', 'a 1\n# TYPE a gauge\n'],
    ['negative counter', '# TYPE a counter\na -1\n'],
    ['non-cumulative buckets', '# TYPE h histogram\nh_bucket{le="1"} 5\nh_bucket{le="+Inf"} 3\nh_count 3\n'],
    ['no +Inf bucket', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\n'],
    ['count differs from +Inf', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\n'],
  ])('refuses %s', (_why, text) => {
    expect(() => parseExposition(text)).toThrow(Error);
  });

  it('reports the offending line', () => {
    expect(() => parseExposition('ok 1\nbad{ 1\n')).toThrow(ExpositionError);
    expect(() => parseExposition('ok 1\nbad{ 1\n')).toThrow(/line 2/);
  });
});
