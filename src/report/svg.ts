/** A self-contained SVG plot of an activation f and its slope f′ (no dependencies, no fonts). */
import {
  axes,
  frameOf,
  legend,
  linearScale,
  polyline,
  referenceLine,
  svgPicture,
  xRange,
  yRange,
} from "./plot.js";

export interface CurvePlot {
  title: string;
  x: readonly number[];
  y: readonly number[];
  slope: readonly number[];
}

export interface CurveSize {
  width: number;
  height: number;
}

const DEFAULT_SIZE: CurveSize = { width: 640, height: 400 };

/** Plot limits: the finite data range, clipped so one spike does not flatten the rest. */
function limitsOf(values: readonly number[]): [number, number] {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return [-1, 1];
  const low = finite[Math.floor(0.005 * (finite.length - 1))] as number;
  const high = finite[Math.ceil(0.995 * (finite.length - 1))] as number;
  const pad = Math.max(1e-9, (high - low) * 0.08);
  return [low - pad, high + pad];
}

export function renderCurveSvg(plot: CurvePlot, size: CurveSize = DEFAULT_SIZE): string {
  const frame = frameOf(size.width, size.height, { left: 48, right: 16, top: 40, bottom: 28 });
  const xLimits: [number, number] = [Math.min(...plot.x), Math.max(...plot.x)];
  const yLimits = limitsOf([...plot.y, ...plot.slope, 0]);
  const x = linearScale(xLimits, xRange(frame), Math.max(2, Math.round(size.width / 100)));
  const y = linearScale(yLimits, yRange(frame), Math.max(2, Math.round(size.height / 70)));
  const clamp = (v: number): number => Math.min(Math.max(v, yLimits[0]), yLimits[1]);
  const points = (ys: readonly number[]) =>
    plot.x.map((xv, i) => ({ x: xv, y: clamp(ys[i] as number) }));
  return (
    svgPicture(frame, plot.title, [
      axes(frame, x, y, { grid: true }),
      referenceLine(frame, y, 0, false),
      referenceLine(frame, x, 0, true),
      polyline(points(plot.y), x, y, { color: "#1f77b4", width: 2 }),
      polyline(points(plot.slope), x, y, { color: "#d62728", width: 1.5, dash: "6 4" }),
      legend(
        [
          { label: "f(x)", color: "#1f77b4" },
          { label: "f′(x)", color: "#d62728", dash: "6 4" },
        ],
        frame.left + 8,
        frame.top + 12,
      ),
    ]) + "\n"
  );
}
