/**
 * A KAN drawn as pykan's plot() draws it (Liu et al. 2024, "KAN: Kolmogorov–Arnold Networks"):
 * nodes in rows, inputs at the bottom; every edge i→j a line through a small box holding the plot
 * of its learned function φ_ij, drawn above its input node; edge opacity tanh(3·score) from its
 * attribution score (pykan's beta = 3); pruned edges left out; a fixed (symbolic) edge drawn in
 * red with its formula under the box. Self-contained SVG (no fonts, scripts or URLs), or the SVG in
 * an HTML page with a table of the edges.
 */
import type { Scale } from "./plot.js";
import { escapeXml, linearScale, polyline, svgOpen } from "./plot.js";

export interface KanDiagramEdge {
  layer: number;
  from: number;
  to: number;
  /** φ_ij sampled over the input's range. */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Attribution score (prune.ts's kanScores). */
  score: number;
  /** The formula of a fixed (symbolic) edge; absent for a spline edge. */
  label?: string;
}

export interface KanDiagram {
  title: string;
  /** Node counts: inputs, then every layer's units. */
  widths: readonly number[];
  /** The edges to draw (pruned ones already left out). */
  edges: readonly KanDiagramEdge[];
  /** Names under the input nodes and over the output nodes (default x1…, y1…). */
  inputNames?: readonly string[];
  outputNames?: readonly string[];
}

/** pykan's plot(beta=3): alpha = tanh(beta · score). */
export const OPACITY_BETA = 3;
export const edgeOpacity = (score: number): number =>
  Math.tanh(OPACITY_BETA * Math.max(0, Number.isFinite(score) ? score : 0));

const SPLINE_COLOR = "#000000";
const FIXED_COLOR = "#d62728";
const fixed2 = (v: number): string => v.toFixed(2);

interface Layout {
  width: number;
  height: number;
  /** Centre of node k of level l. */
  node(level: number, k: number): { x: number; y: number };
  /** Box of edge (layer, i, j): left, top, size. */
  box(layer: number, i: number, j: number): { x: number; y: number; size: number };
}

/** Node rows LEVEL_GAP apart; the boxes of a layer sit in a row just above its input nodes. */
const LEVEL_GAP = 170;
const MARGIN = 40;
const SLOT = 110;

function layoutOf(widths: readonly number[]): Layout {
  const levels = widths.length;
  // each input node of a layer holds m boxes side by side: the widest row sets the width
  const slots = Math.max(
    ...widths.map((w, l) => (l + 1 < levels ? w * Math.max(1, widths[l + 1]!) : w)),
  );
  const width = Math.max(320, Math.min(4000, slots * SLOT * 0.6 + 2 * MARGIN));
  const height = (levels - 1) * LEVEL_GAP + 2 * MARGIN + 40;
  const inner = width - 2 * MARGIN;
  const node = (level: number, k: number) => ({
    x: MARGIN + ((k + 0.5) * inner) / widths[level]!,
    y: height - MARGIN - 12 - level * LEVEL_GAP,
  });
  return {
    width,
    height,
    node,
    box(layer, i, j) {
      const n = widths[layer]!;
      const m = widths[layer + 1]!;
      const span = inner / n;
      const size = Math.min(56, (span * 0.85) / m, LEVEL_GAP * 0.4);
      const centre = node(layer, i);
      const x = centre.x - (m * size) / 2 + j * size + size * 0.08;
      return { x, y: centre.y - 24 - size, size: size * 0.84 };
    },
  };
}

/** One edge: a line from its input node to its box, the box with φ's plot, a line to its output. */
function edgeSvg(edge: KanDiagramEdge, layout: Layout): string {
  const color = edge.label === undefined ? SPLINE_COLOR : FIXED_COLOR;
  const from = layout.node(edge.layer, edge.from);
  const to = layout.node(edge.layer + 1, edge.to);
  const box = layout.box(edge.layer, edge.from, edge.to);
  const cx = box.x + box.size / 2;
  const xs = Array.from(edge.x);
  const ys = Array.from(edge.y).map((v) => (Number.isFinite(v) ? v : NaN));
  const finite = ys.filter(Number.isFinite);
  const [yLow, yHigh] = finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 1];
  const flat = !(yHigh - yLow > 1e-12 * Math.max(1, Math.abs(yHigh)));
  const xScale: Scale = linearScale(
    [Math.min(...xs), Math.max(...xs) > Math.min(...xs) ? Math.max(...xs) : Math.min(...xs) + 1],
    [box.x + 2, box.x + box.size - 2],
  );
  const yScale: Scale = linearScale(flat ? [yLow - 1, yLow + 1] : [yLow, yHigh], [
    box.y + box.size - 2,
    box.y + 2,
  ]);
  const points = xs.map((x, k) => ({ x, y: ys[k]! }));
  const title = `layer ${edge.layer}: node ${edge.from} → node ${edge.to}, score ${edge.score.toExponential(3)}${edge.label === undefined ? "" : `, fixed: ${edge.label}`}`;
  const parts = [
    `<g class="kan-edge${edge.label === undefined ? "" : " kan-edge-fixed"}" data-layer="${edge.layer}" data-from="${edge.from}" data-to="${edge.to}" data-score="${edge.score}" opacity="${edgeOpacity(edge.score).toFixed(4)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<line x1="${fixed2(from.x)}" y1="${fixed2(from.y)}" x2="${fixed2(cx)}" y2="${fixed2(box.y + box.size)}" stroke="${color}" stroke-width="1.2"/>`,
    `<line x1="${fixed2(cx)}" y1="${fixed2(box.y)}" x2="${fixed2(to.x)}" y2="${fixed2(to.y)}" stroke="${color}" stroke-width="1.2"/>`,
    `<rect x="${fixed2(box.x)}" y="${fixed2(box.y)}" width="${fixed2(box.size)}" height="${fixed2(box.size)}" fill="white" stroke="${color}" stroke-width="1"/>`,
    polyline(points, xScale, yScale, { color, width: 1.5 }),
  ];
  if (edge.label !== undefined)
    parts.push(
      `<text x="${fixed2(box.x + box.size + 3)}" y="${fixed2(box.y + box.size / 2 + 3)}" fill="${FIXED_COLOR}" font-size="10">${escapeXml(edge.label)}</text>`,
    );
  parts.push(`</g>`);
  return parts.join("\n");
}

/** The network as one self-contained SVG picture. */
export function renderKanSvg(diagram: KanDiagram): string {
  const { widths } = diagram;
  if (widths.length < 2) throw new Error("a KAN diagram needs at least one layer");
  const layout = layoutOf(widths);
  const levels = widths.length;
  const nodes: string[] = [];
  widths.forEach((count, level) => {
    for (let k = 0; k < count; k++) {
      const { x, y } = layout.node(level, k);
      nodes.push(
        `<circle class="kan-node" data-level="${level}" cx="${fixed2(x)}" cy="${fixed2(y)}" r="4" fill="black"/>`,
      );
    }
  });
  const names = (level: number, given: readonly string[] | undefined, prefix: string, dy: number) =>
    Array.from({ length: widths[level]! }, (_, k) => {
      const { x, y } = layout.node(level, k);
      const text = given?.[k] ?? `${prefix}${k + 1}`;
      return `<text x="${fixed2(x)}" y="${fixed2(y + dy)}" text-anchor="middle">${escapeXml(text)}</text>`;
    });
  return [
    svgOpen(layout.width, layout.height, diagram.title),
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${layout.width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(diagram.title)}</text>`,
    ...diagram.edges.map((edge) => edgeSvg(edge, layout)),
    ...nodes,
    ...names(0, diagram.inputNames, "x", 20),
    ...names(levels - 1, diagram.outputNames, "y", -10),
    `</svg>`,
  ].join("\n");
}

const PAGE_CSS = `body{font-family:sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin-top:16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}.meta{color:#555}`;

/** The SVG in a page (inline CSS, no script, no URL) with a table of the drawn edges. */
export function renderKanHtml(diagram: KanDiagram, note = ""): string {
  const rows = diagram.edges
    .map(
      (e) =>
        `<tr><td>${e.layer}</td><td>${e.from}</td><td>${e.to}</td><td>${e.score.toExponential(3)}</td><td>${edgeOpacity(e.score).toFixed(3)}</td><td style="text-align:left">${e.label === undefined ? "spline" : escapeXml(e.label)}</td></tr>`,
    )
    .join("\n");
  return [
    `<!DOCTYPE html>`,
    `<html lang="en">`,
    `<head>`,
    `<meta charset="utf-8">`,
    `<title>${escapeXml(diagram.title)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    `</head>`,
    `<body>`,
    `<h1>${escapeXml(diagram.title)}</h1>`,
    `<p class="meta">Widths [${diagram.widths.join(", ")}]; ${diagram.edges.length} edge(s) drawn. Each box plots an edge's function over the range its input takes on the training data; opacity tanh(${OPACITY_BETA}·score) (pykan's plot); pruned edges are left out; fixed edges are red, with their formula.${note ? ` ${escapeXml(note)}` : ""}</p>`,
    renderKanSvg(diagram),
    `<table class="kan-edges"><thead><tr><th>layer</th><th>from</th><th>to</th><th>score</th><th>opacity</th><th>function</th></tr></thead>`,
    `<tbody>${rows}</tbody></table>`,
    `</body>`,
    `</html>`,
  ].join("\n");
}
