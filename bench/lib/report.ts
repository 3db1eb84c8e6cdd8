// Small helpers every benchmark uses: percentiles, progress lines, and a report
// (JSON + Markdown + an SVG bar chart) under bench/reports/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPORT_DIR = join(import.meta.dirname, '..', 'reports');

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(samplesMs: number[]) {
  const s = [...samplesMs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, mean: round(mean), p50: round(percentile(s, 50)), p95: round(percentile(s, 95)), p99: round(percentile(s, 99)), max: round(s[s.length - 1] ?? NaN) };
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function progress(label: string, done: number, total: number): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r  ${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
  if (done >= total) process.stderr.write('\n');
}

export interface Bar {
  label: string;
  value: number;
}

/** A horizontal bar chart as a standalone SVG (no dependencies). */
export function barChartSvg(title: string, unit: string, bars: Bar[]): string {
  const rowH = 28;
  const left = 260;
  const width = 760;
  const max = Math.max(...bars.map((b) => b.value), 1);
  const h = 50 + bars.length * rowH;
  const rows = bars
    .map((b, i) => {
      const y = 40 + i * rowH;
      const w = Math.max(1, ((width - left - 90) * b.value) / max);
      return `<text x="${left - 8}" y="${y + 17}" text-anchor="end" font-size="13">${escapeXml(b.label)}</text>` +
        `<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="18" fill="${i % 2 ? '#4c78a8' : '#f58518'}"/>` +
        `<text x="${left + w + 6}" y="${y + 17}" font-size="12">${b.value} ${escapeXml(unit)}</text>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="12" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>
${rows}
</svg>
`;
}

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

export function writeReport(name: string, data: { title: string; markdown: string; json: unknown; chart?: { title: string; unit: string; bars: Bar[] } }): string[] {
  mkdirSync(REPORT_DIR, { recursive: true });
  const files = [join(REPORT_DIR, `${name}.json`), join(REPORT_DIR, `${name}.md`)];
  writeFileSync(files[0], JSON.stringify(data.json, null, 2) + '\n');
  let md = `# ${data.title}\n\n${data.markdown}\n`;
  if (data.chart) {
    const svg = join(REPORT_DIR, `${name}.svg`);
    writeFileSync(svg, barChartSvg(data.chart.title, data.chart.unit, data.chart.bars));
    md += `\n![${data.chart.title}](./${name}.svg)\n`;
    files.push(svg);
  }
  writeFileSync(files[1], md);
  return files;
}

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
