/**
 * Relative improvement over the mean of the candidate pool, in % (Yang et al. 2020, "NAS
 * evaluation is frustratingly hard": improvement over the average randomly sampled architecture),
 * signed so that positive is better:
 *   higher is better (accuracy): RI = 100 (m − m_r) / |m_r|
 *   lower is better (error, RMSE): RI = 100 (m_r − m) / |m_r|
 * |m_r| keeps the sign meaning "better" if a pool mean is ever negative. m_r = 0 is an error.
 */
export function improvementOverRandom(
  metric: number,
  randomMean: number,
  higherIsBetter: boolean,
): number {
  if (!Number.isFinite(metric) || !Number.isFinite(randomMean)) {
    throw new RangeError(
      `improvementOverRandom needs finite values, got metric=${metric}, randomMean=${randomMean}`,
    );
  }
  if (randomMean === 0)
    throw new RangeError(
      "improvementOverRandom: the pool mean is 0, relative improvement is undefined",
    );
  const gain = higherIsBetter ? metric - randomMean : randomMean - metric;
  return (100 * gain) / Math.abs(randomMean);
}

/**
 * Parameter efficiency = AUC / log10(params) (the KAN benchmark's efficiency score, see
 * REFERENCES §4 and BenchResults.summaries): rewards a high AUC per decade of parameters.
 * params must exceed 1 (log10(1) = 0).
 */
export function parameterEfficiency(auc: number, params: number): number {
  if (!Number.isFinite(auc))
    throw new RangeError(`parameterEfficiency needs a finite auc, got ${auc}`);
  if (!(params > 1) || !Number.isFinite(params))
    throw new RangeError(`parameterEfficiency needs params > 1, got ${params}`);
  return auc / Math.log10(params);
}
