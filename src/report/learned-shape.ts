/**
 * A learned activation beside its initial shape: f at the parameters' initial values (grey,
 * dashed) and f at each layer's mean learned values (one colour a layer), one self-contained SVG.
 */
import { parseActivation } from "../expr/parse.js";
import { activationCurve } from "./activation-curve.js";
import type { LearnedShape } from "./bench-learned.js";
import type { LegendEntry } from "./plot.js";
import {
  axes,
  colorAt,
  frameOf,
  legend,
  linearScale,
  paddedRange,
  polyline,
  referenceLine,
  svgPicture,
  xRange,
  yRange,
} from "./plot.js";

export const LEARNED_SHAPE_INTERVAL: readonly [number, number] = [-4, 4];
const SAMPLES = 161;
const INITIAL_STYLE = { color: "#777", width: 2, dash: "6 4" };

const valuesText = (values: Record<string, number>): string =>
  Object.entries(values)
    .map(([name, value]) => `${name} = ${value.toPrecision(4)}`)
    .join(", ");

/** The plot's SVG text; throws where the activation cannot be parsed or evaluated. */
export function learnedShapeSvg(shape: LearnedShape, width = 420, height = 280): string {
  const activation = parseActivation(shape.activation);
  const curveOf = (values: Record<string, number> = {}) =>
    activationCurve(activation, LEARNED_SHAPE_INTERVAL, SAMPLES, values);
  const initialValues = Object.fromEntries(
    shape.lines
      .flatMap((line) => Object.keys(line.values))
      .map((name) => [name, activation.params[name]?.init ?? NaN]),
  );
  const initial = curveOf();
  const learned = shape.lines.map((line) => curveOf(line.values));
  const legendRows = 1 + learned.length;
  const frame = frameOf(width, height, { left: 48, top: 40 + 16 * legendRows, bottom: 36 });
  const x = linearScale([...LEARNED_SHAPE_INTERVAL], xRange(frame));
  const y = linearScale(
    paddedRange([initial, ...learned].flatMap((curve) => curve.y.filter(Number.isFinite))),
    yRange(frame),
  );
  const points = (curve: { x: number[]; y: number[] }) =>
    curve.x.map((xv, i) => ({ x: xv, y: curve.y[i] as number }));
  const entries: LegendEntry[] = [
    { label: `initial: ${valuesText(initialValues)}`, ...INITIAL_STYLE },
    ...shape.lines.map((line, i) => ({
      label: `learned ${line.label}: ${valuesText(line.values)}`,
      color: colorAt(i),
    })),
  ];
  return svgPicture(frame, `${shape.candidate} on ${shape.task}`, [
    axes(frame, x, y, { grid: true, xLabel: "x", yLabel: "f(x)" }),
    referenceLine(frame, y, 0, false),
    referenceLine(frame, x, 0, true),
    ...learned.map((curve, i) => polyline(points(curve), x, y, { color: colorAt(i), width: 2 })),
    // drawn last, dashed: visible where a learned shape barely moved from it
    polyline(points(initial), x, y, INITIAL_STYLE),
    legend(entries, frame.left + 8, 36),
  ]);
}

/** The plot, or why there is none (both renderers show the reason in its place). */
export function learnedShapePicture(shape: LearnedShape): { svg: string } | { error: string } {
  try {
    return { svg: learnedShapeSvg(shape) };
  } catch (error) {
    return { error: `cannot plot: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** What a learned-shape figure shows, after its activation (the caption). */
export const LEARNED_SHAPE_CAPTION = `f at the initial values (dashed) and at the mean learned values over seeds (per channel or per neuron: the mean over them) on [${LEARNED_SHAPE_INTERVAL.join(", ")}]`;
