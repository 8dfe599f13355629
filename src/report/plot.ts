/**
 * Plot primitives for self-contained SVG (no fonts, no scripts, no external references): scales
 * (linear and log), axes with ticks and grid lines, polylines, scatter points, legends. Each
 * returns SVG text; a plot is a frame plus a list of these strings.
 */

export const SVG_NS = "http://www.w3.org/2000/svg";

/** Category colours (the matplotlib/d3 "category10" palette): distinct, readable on white. */
export const PALETTE: readonly string[] = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

export function colorAt(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length] as string;
}

/** Escapes text for SVG/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export interface Point {
  x: number;
  y: number;
}

/** The drawing area of a plot: the whole picture and its margins. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function frameOf(width: number, height: number, margins: Partial<Frame> = {}): Frame {
  return { width, height, left: 56, right: 16, top: 32, bottom: 44, ...margins };
}

export interface Scale {
  readonly domain: readonly [number, number];
  readonly log: boolean;
  /** Tick positions inside the domain. */
  readonly ticks: readonly number[];
  /** Pixel coordinate of a data value. */
  map(value: number): number;
}

/** A "nice" step (1, 2 or 5 times a power of ten) near `rough`. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  return (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * power;
}

/** Ticks at multiples of a nice step inside [low, high]; `integer`: whole numbers only (epochs). */
export function linearTicks(low: number, high: number, count = 5, integer = false): number[] {
  if (!(high > low)) return [low];
  const rough = niceStep((high - low) / count);
  const step = integer ? Math.max(1, Math.round(rough)) : rough;
  const ticks: number[] = [];
  for (let i = Math.ceil(low / step - 1e-9); i * step <= high + step * 1e-9; i++) {
    ticks.push(Number((i * step).toPrecision(12)));
  }
  return ticks;
}

/** Ticks at 1 (or 1, 2, 5) times powers of ten inside [low, high]; linear ticks for narrow ranges. */
export function logTicks(low: number, high: number): number[] {
  const decades: number[] = [];
  for (let e = Math.floor(Math.log10(low)); e <= Math.ceil(Math.log10(high)); e++) decades.push(e);
  const inside = (v: number): boolean => v >= low * (1 - 1e-9) && v <= high * (1 + 1e-9);
  const powers = decades.map((e) => 10 ** e).filter(inside);
  if (powers.length >= 3) return powers;
  const multiples = decades
    .flatMap((e) => [1, 2, 5].map((m) => Number((m * 10 ** e).toPrecision(12))))
    .filter(inside);
  return multiples.length >= 2 ? multiples : linearTicks(low, high, 3).filter((v) => v > 0);
}

/** Data range of the finite values, padded by `pad` of its width (a flat range gets ±10%). */
export function paddedRange(values: readonly number[], pad = 0.05): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  if (high === low) {
    const half = Math.abs(low) * 0.1 || 1;
    return [low - half, high + half];
  }
  const margin = (high - low) * pad;
  return [low - margin, high + margin];
}

/** Positive data range padded in log space (a flat range gets ×/÷ 1.25). */
export function paddedLogRange(values: readonly number[], pad = 0.08): [number, number] {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length === 0) return [1, 10];
  const low = Math.log10(Math.min(...positive));
  const high = Math.log10(Math.max(...positive));
  const margin = high === low ? Math.log10(1.25) : (high - low) * pad;
  return [10 ** (low - margin), 10 ** (high + margin)];
}

export function linearScale(
  domain: [number, number],
  range: [number, number],
  ticks = 5,
  integer = false,
): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  return {
    domain,
    log: false,
    ticks: linearTicks(d0, d1, ticks, integer),
    map: (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0),
  };
}

export function logScale(domain: [number, number], range: [number, number]): Scale {
  const [l0, l1] = [Math.log10(domain[0]), Math.log10(domain[1])];
  const [r0, r1] = range;
  return {
    domain,
    log: true,
    ticks: logTicks(domain[0], domain[1]),
    map: (v) => r0 + ((Math.log10(v) - l0) / (l1 - l0)) * (r1 - r0),
  };
}

/** Horizontal and vertical pixel ranges of a frame's plotting area (y grows downwards). */
export function xRange(frame: Frame): [number, number] {
  return [frame.left, frame.width - frame.right];
}
export function yRange(frame: Frame): [number, number] {
  return [frame.height - frame.bottom, frame.top];
}

/** Short tick label: up to 4 significant digits, k/M/G for large magnitudes, exponent for tiny. */
export function formatTick(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e9) return `${Number((value / 1e9).toPrecision(3))}G`;
  if (magnitude >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (magnitude >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
  if (magnitude < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(4)));
}

const fixed = (v: number): string => v.toFixed(2);

/** Opening tag of a standalone SVG picture (the xmlns is its only URL: a name, never fetched). */
export function svgOpen(width: number, height: number, label?: string): string {
  const aria = label === undefined ? "" : ` role="img" aria-label="${escapeXml(label)}"`;
  return `<svg xmlns="${SVG_NS}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12"${aria}>`;
}

/** A whole SVG picture: white background, title, body. */
export function svgPicture(frame: Frame, title: string, body: readonly string[]): string {
  return [
    svgOpen(frame.width, frame.height, title),
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${frame.width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    ...body,
    `</svg>`,
  ].join("\n");
}

export interface AxesOptions {
  xLabel?: string;
  yLabel?: string;
  /** Light grid lines at the ticks. */
  grid?: boolean;
  format?: (value: number) => string;
}

/** Box, ticks, tick labels, optional grid and axis labels of a plot. */
export function axes(frame: Frame, x: Scale, y: Scale, options: AxesOptions = {}): string {
  const format = options.format ?? formatTick;
  const [x0, x1] = xRange(frame);
  const [y0, y1] = yRange(frame);
  const parts: string[] = [];
  for (const tick of x.ticks) {
    const px = fixed(x.map(tick));
    if (options.grid)
      parts.push(`<line x1="${px}" y1="${y0}" x2="${px}" y2="${y1}" stroke="#eee"/>`);
    parts.push(`<line x1="${px}" y1="${y0}" x2="${px}" y2="${y0 + 4}" stroke="#555"/>`);
    parts.push(
      `<text x="${px}" y="${y0 + 16}" text-anchor="middle">${escapeXml(format(tick))}</text>`,
    );
  }
  for (const tick of y.ticks) {
    const py = fixed(y.map(tick));
    if (options.grid)
      parts.push(`<line x1="${x0}" y1="${py}" x2="${x1}" y2="${py}" stroke="#eee"/>`);
    parts.push(`<line x1="${x0 - 4}" y1="${py}" x2="${x0}" y2="${py}" stroke="#555"/>`);
    parts.push(
      `<text x="${x0 - 6}" y="${fixed(y.map(tick) + 4)}" text-anchor="end">${escapeXml(format(tick))}</text>`,
    );
  }
  parts.push(
    `<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#555"/>`,
  );
  if (options.xLabel) {
    parts.push(
      `<text x="${(x0 + x1) / 2}" y="${frame.height - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    );
  }
  if (options.yLabel) {
    const cy = (y0 + y1) / 2;
    parts.push(
      `<text x="14" y="${cy}" text-anchor="middle" transform="rotate(-90 14 ${cy})">${escapeXml(options.yLabel)}</text>`,
    );
  }
  return parts.join("\n");
}

/** A horizontal or vertical reference line through a data value (e.g. y = 0), if in range. */
export function referenceLine(
  frame: Frame,
  scale: Scale,
  value: number,
  vertical: boolean,
): string {
  const [d0, d1] = scale.domain;
  if (!(value >= Math.min(d0, d1) && value <= Math.max(d0, d1))) return "";
  const p = fixed(scale.map(value));
  const [x0, x1] = xRange(frame);
  const [y0, y1] = yRange(frame);
  return vertical
    ? `<line x1="${p}" y1="${y0}" x2="${p}" y2="${y1}" stroke="#999"/>`
    : `<line x1="${x0}" y1="${p}" x2="${x1}" y2="${p}" stroke="#999"/>`;
}

export interface LineStyle {
  color: string;
  width?: number;
  dash?: string;
}

/** A line through the points, broken where a value is not finite (one polyline per run). */
export function polyline(points: readonly Point[], x: Scale, y: Scale, style: LineStyle): string {
  const runs: string[][] = [[]];
  for (const point of points) {
    const ok = Number.isFinite(point.x) && Number.isFinite(point.y) && (!x.log || point.x > 0);
    if (!ok) {
      if ((runs[runs.length - 1] as string[]).length > 0) runs.push([]);
      continue;
    }
    (runs[runs.length - 1] as string[]).push(`${fixed(x.map(point.x))},${fixed(y.map(point.y))}`);
  }
  const dash = style.dash ? ` stroke-dasharray="${style.dash}"` : "";
  return runs
    .filter((run) => run.length > 0)
    .map(
      (run) =>
        `<polyline fill="none" stroke="${style.color}" stroke-width="${style.width ?? 2}"${dash} points="${run.join(" ")}"/>`,
    )
    .join("\n");
}

export interface MarkerStyle {
  color: string;
  radius?: number;
  /** Filled disc (default) or ring. */
  filled?: boolean;
}

/** One circle per finite point; `titles` become hover tool tips. */
export function scatter(
  points: readonly Point[],
  x: Scale,
  y: Scale,
  style: MarkerStyle,
  titles: readonly string[] = [],
): string {
  const fill = style.filled === false ? "white" : style.color;
  return points
    .map((point, i) => {
      if (!Number.isFinite(point.x) || !Number.isFinite(point.y)) return "";
      const title =
        titles[i] === undefined ? "" : `<title>${escapeXml(titles[i] as string)}</title>`;
      return `<circle cx="${fixed(x.map(point.x))}" cy="${fixed(y.map(point.y))}" r="${style.radius ?? 4}" fill="${fill}" stroke="${style.color}" stroke-width="2">${title}</circle>`;
    })
    .filter((text) => text !== "")
    .join("\n");
}

/** A text label next to a data point. */
export function pointLabel(point: Point, x: Scale, y: Scale, text: string, color = "#333"): string {
  if (!Number.isFinite(point.x) || !Number.isFinite(point.y)) return "";
  return `<text x="${fixed(x.map(point.x) + 7)}" y="${fixed(y.map(point.y) - 6)}" fill="${color}" font-size="11">${escapeXml(text)}</text>`;
}

export interface LegendEntry {
  label: string;
  color: string;
  dash?: string;
  /** Draw a marker instead of a line sample. */
  marker?: "disc" | "ring";
}

/** Legend rows starting at (x, y): a short line (or marker) sample, then the label. */
export function legend(entries: readonly LegendEntry[], x: number, y: number): string {
  return entries
    .map((entry, i) => {
      const cy = y + i * 16;
      const sample =
        entry.marker === undefined
          ? `<line x1="${x}" y1="${cy}" x2="${x + 22}" y2="${cy}" stroke="${entry.color}" stroke-width="2"${entry.dash ? ` stroke-dasharray="${entry.dash}"` : ""}/>`
          : `<circle cx="${x + 11}" cy="${cy}" r="4" fill="${entry.marker === "disc" ? entry.color : "white"}" stroke="${entry.color}" stroke-width="2"/>`;
      return `${sample}<text x="${x + 28}" y="${cy + 4}">${escapeXml(entry.label)}</text>`;
    })
    .join("\n");
}
