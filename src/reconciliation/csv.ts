// RFC 4180 CSV for finance exports: a header row, CRLF line ends, fields quoted when they
// contain a comma, quote, CR or LF (quotes doubled). Text that a spreadsheet would run as a
// formula (= + - @ at the start) is prefixed with a single quote (CSV injection).

export interface CsvColumn<T> {
  header: string;
  value: (row: T) => unknown;
}

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s: string;
  if (value instanceof Date) s = value.toISOString();
  else if (typeof value === 'object') s = JSON.stringify(value);
  else s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv<T>(columns: CsvColumn<T>[], rows: T[]): string {
  const lines = [columns.map((c) => csvField(c.header)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvField(c.value(r))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
