import { describe, expect, it } from 'vitest';
import {
  instantQuery,
  type PrometheusApi,
  pollExemplars,
  pollQuery,
  pollValue,
  scrapedTargets,
} from './prometheus-api.js';

// A fake API function in place of a Prometheus process (the unit project starts none): it records
// the paths asked for and answers from a script, one reply per call. The conformance tests run the
// same helpers against a real Prometheus.
function fakeApi(replies: readonly unknown[]): { api: PrometheusApi; paths: string[] } {
  const paths: string[] = [];
  const api = async <T>(path: string): Promise<T> => {
    paths.push(path);
    return replies[Math.min(paths.length, replies.length) - 1] as T;
  };
  return { api, paths };
}

const target = (health: string) => ({ scrapeUrl: `http://127.0.0.1:1/${health}`, health, lastError: '' });
const vector = (...values: string[]) => ({
  resultType: 'vector',
  result: values.map((value) => ({ metric: { __name__: 'x' }, value: [1, value] })),
});

describe('scrapedTargets', () => {
  it('polls until enough targets have been scraped, and returns only those', async () => {
    const { api, paths } = fakeApi([
      { activeTargets: [target('unknown'), target('unknown')] },
      { activeTargets: [target('up'), target('unknown')] },
      { activeTargets: [target('up'), target('down')] },
    ]);
    const scraped = await scrapedTargets(api, { count: 2, timeoutMs: 1_000, intervalMs: 1 });
    expect(scraped.map((t) => t.health)).toEqual(['up', 'down']);
    expect(paths).toEqual(Array(3).fill('/api/v1/targets?state=active'));
  });

  it('names the wait when the targets are not scraped in time', async () => {
    const { api } = fakeApi([{ activeTargets: [target('unknown')] }]);
    await expect(scrapedTargets(api, { timeoutMs: 5, intervalMs: 1 })).rejects.toThrow('waiting for the first scrape');
  });
});

describe('instantQuery', () => {
  it('encodes the expression and returns the vector', async () => {
    const { api, paths } = fakeApi([vector('2')]);
    expect(await instantQuery(api, 'x{a="b c"}')).toEqual([{ metric: { __name__: 'x' }, value: [1, '2'] }]);
    expect(paths).toEqual(['/api/v1/query?query=x%7Ba%3D%22b%20c%22%7D']);
  });

  it('rejects a result that is not a vector', async () => {
    const { api } = fakeApi([{ resultType: 'scalar', result: [1, '1'] }]);
    await expect(instantQuery(api, '1')).rejects.toThrow('1: a scalar, not a vector');
  });
});

describe('pollQuery and pollValue', () => {
  it('poll until the vector holds enough series', async () => {
    const { api } = fakeApi([vector(), vector('1'), vector('1', '2')]);
    const result = await pollQuery(api, 'x', { count: 2, timeoutMs: 1_000, intervalMs: 1 });
    expect(result.map((s) => s.value[1])).toEqual(['1', '2']);
  });

  it('read the first series as a number, NaN and infinities included', async () => {
    expect(await pollValue(fakeApi([vector(), vector('-Inf')]).api, 'x', { intervalMs: 1 })).toBe(-Infinity);
    expect(await pollValue(fakeApi([vector('+Inf')]).api, 'x')).toBe(Infinity);
    expect(await pollValue(fakeApi([vector('NaN')]).api, 'x')).toBeNaN();
  });
});

describe('pollExemplars', () => {
  it('polls the last hour until some series has exemplars', async () => {
    const series = {
      seriesLabels: { __name__: 'x' },
      exemplars: [{ labels: { trace_id: 't' }, value: '1', timestamp: 1 }],
    };
    const { api, paths } = fakeApi([[], [series]]);
    expect(await pollExemplars(api, 'x', { intervalMs: 1 })).toEqual([series]);
    const url = new URL(paths[0] as string, 'http://localhost');
    expect(url.pathname).toBe('/api/v1/query_exemplars');
    expect(url.searchParams.get('query')).toBe('x');
    expect(Number(url.searchParams.get('end')) - Number(url.searchParams.get('start'))).toBe(3600);
  });
});
