import { studentTQuantile } from "./special-functions.js";

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (divisor n − 1); 0 when n = 1. */
  sd: number;
  /** 95% confidence interval of the mean, mean ± t_{0.975}(n − 1) · sd / √n. */
  ci95: [number, number];
}

/**
 * Mean, sample standard deviation and Student-t 95% confidence interval of the mean.
 * With one value there is no spread to estimate: sd = 0 and the interval collapses to
 * [mean, mean] (it is not a real interval; callers should show n). Empty or non-finite input
 * is an error, so a diverged trial must be given a finite worst value before summarizing.
 */
export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) throw new RangeError("summarize needs at least one value");
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v))
      throw new RangeError(`summarize needs finite values, got ${v} at index ${i}`);
    sum += v;
  }
  const mean = sum / n;
  if (n === 1) return { n, mean, sd: 0, ci95: [mean, mean] };
  // Two passes (mean first, then squared deviations) avoid the cancellation of Σx² − n·mean².
  let squares = 0;
  for (let i = 0; i < n; i++) squares += ((values[i] as number) - mean) ** 2;
  const sd = Math.sqrt(squares / (n - 1));
  const half = (studentTQuantile(0.975, n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, ci95: [mean - half, mean + half] };
}
