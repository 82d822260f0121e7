import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { alertGroups } from '../src/rules/index.js';
import { REPO } from './helpers/paths.js';

// Every alert's runbook_url must land on a section of docs/runbooks.md, and every section must say
// what the alert means, what to check first and how to fix it.

const doc = readFileSync(`${REPO}/docs/runbooks.md`, 'utf8');
const alerts = (
  parse(readFileSync(`${REPO}/monitoring/generated/alerts.yml`, 'utf8')) as {
    groups: { rules: { alert: string; annotations: { runbook_url: string } }[] }[];
  }
).groups.flatMap((group) => group.rules);

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, duplicates numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (heading === null) continue;
    const base = (heading[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The text of the `### <name>` section. */
function section(name: string): string {
  const start = doc.indexOf(`\n### ${name}\n`);
  if (start < 0) return '';
  const next = doc.slice(start + 1).search(/\n##+ /);
  return next < 0 ? doc.slice(start) : doc.slice(start, start + 1 + next);
}

describe('docs/runbooks.md', () => {
  const known = anchors(doc);

  it('has the section every runbook_url points to', () => {
    expect(alerts.map((rule) => rule.alert)).toEqual(
      alertGroups.flatMap((group) => group.alerts.map((a) => a.rule.alert)),
    );
    const missing = alerts
      .map((rule) => rule.annotations.runbook_url)
      .filter((url) => {
        const [path, anchor] = url.split('#');
        return path !== 'docs/runbooks.md' || anchor === undefined || !known.has(anchor);
      });
    expect(missing).toEqual([]);
  });

  it('has no section for an alert that does not exist', () => {
    const sections = [...doc.matchAll(/^### (\S+)$/gm)].map((match) => match[1]);
    expect(sections.sort()).toEqual(alerts.map((rule) => rule.alert).sort());
  });

  it('says, for every alert, what it means, what to check first and how to fix it', () => {
    for (const rule of alerts) {
      const text = section(rule.alert);
      for (const part of ['**Meaning.**', '**First checks.**', '**Fixes.**']) {
        expect(text.includes(part), `${rule.alert}: missing ${part}`).toBe(true);
      }
    }
  });

  it('links only to anchors that exist', () => {
    const links = [...doc.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1] ?? '');
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((anchor) => !known.has(anchor))).toEqual([]);
  });

  it('computes anchors the way GitHub does', () => {
    expect([...anchors('## Market data alerts\n### HighCPUUsage\n## A\n## A\n```\n# not a heading\n```')]).toEqual([
      'market-data-alerts',
      'highcpuusage',
      'a',
      'a-1',
    ]);
  });
});
