/**
 * CSV as RFC 4180 writes it: a header row, CRLF line ends, a field quoted when it holds a comma, a
 * double quote, CR or LF, and quotes inside doubled. Numbers keep full precision (JavaScript's
 * shortest round-trip form); null and undefined are empty fields.
 */
export type CsvValue = string | number | boolean | null | undefined;

function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvText(
  columns: readonly string[],
  rows: readonly (readonly CsvValue[])[],
): string {
  return [columns, ...rows].map((row) => `${row.map(csvField).join(",")}\r\n`).join("");
}
