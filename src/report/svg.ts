/** A self-contained SVG plot of an activation f and its slope f′ (no dependencies, no fonts). */

export interface CurvePlot {
  title: string;
  x: readonly number[];
  y: readonly number[];
  slope: readonly number[];
}

const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = 48;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Plot limits: the finite data range, clipped so one spike does not flatten the rest. */
function limitsOf(values: readonly number[]): [number, number] {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return [-1, 1];
  const low = finite[Math.floor(0.005 * (finite.length - 1))] as number;
  const high = finite[Math.ceil(0.995 * (finite.length - 1))] as number;
  const pad = Math.max(1e-9, (high - low) * 0.08);
  return [low - pad, high + pad];
}

export function renderCurveSvg(plot: CurvePlot): string {
  const [xLow, xHigh] = [Math.min(...plot.x), Math.max(...plot.x)];
  const [yLow, yHigh] = limitsOf([...plot.y, ...plot.slope, 0]);
  const px = (x: number): number => MARGIN + ((x - xLow) / (xHigh - xLow)) * (WIDTH - 2 * MARGIN);
  const py = (y: number): number => {
    const clamped = Math.min(Math.max(y, yLow), yHigh);
    return HEIGHT - MARGIN - ((clamped - yLow) / (yHigh - yLow)) * (HEIGHT - 2 * MARGIN);
  };
  const path = (ys: readonly number[]): string =>
    plot.x.map((x, i) => `${px(x).toFixed(2)},${py(ys[i] as number).toFixed(2)}`).join(" ");
  const zeroX = xLow <= 0 && xHigh >= 0 ? px(0) : MARGIN;
  const ticks = [xLow, 0, xHigh]
    .filter((v, i, all) => all.indexOf(v) === i && v >= xLow && v <= xHigh)
    .map(
      (v) =>
        `<text x="${px(v).toFixed(1)}" y="${HEIGHT - MARGIN + 16}" text-anchor="middle">${v}</text>`,
    );
  const yTicks = [yLow, 0, yHigh].map(
    (v) =>
      `<text x="${MARGIN - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end">${Number(v.toPrecision(3))}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(plot.title)}</text>`,
    `<line x1="${MARGIN}" y1="${py(0).toFixed(2)}" x2="${WIDTH - MARGIN}" y2="${py(0).toFixed(2)}" stroke="#999"/>`,
    `<line x1="${zeroX.toFixed(2)}" y1="${MARGIN}" x2="${zeroX.toFixed(2)}" y2="${HEIGHT - MARGIN}" stroke="#999"/>`,
    ...ticks,
    ...yTicks,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${path(plot.y)}"/>`,
    `<polyline fill="none" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4" points="${path(plot.slope)}"/>`,
    `<text x="${WIDTH - MARGIN}" y="${MARGIN - 8}" text-anchor="end"><tspan fill="#1f77b4">— f(x)</tspan>  <tspan fill="#d62728">- - f′(x)</tspan></text>`,
    `</svg>`,
    "",
  ].join("\n");
}
