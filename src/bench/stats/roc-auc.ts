import { tiedRanks } from "./tied-ranks.js";

export interface RocAucOptions {
  /**
   * What the score columns are. "logits" ranks by log-softmax (monotone in the softmax
   * probability, which is what one-vs-rest compares across rows); "probabilities" ranks the
   * columns as given; "auto" (default) takes probabilities when every row lies in [0, 1] and sums
   * to 1 within 1e−4, logits otherwise.
   */
  scores?: "auto" | "probabilities" | "logits";
}

const SUM_TOLERANCE = 1e-4;

function looksLikeProbabilities(scores: ArrayLike<number>, rows: number, classes: number): boolean {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const v = scores[r * classes + c] as number;
      if (v < 0 || v > 1) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > SUM_TOLERANCE) return false;
  }
  return true;
}

/** Row-wise log-softmax z − logsumexp(z), computed stably. */
function logSoftmax(scores: ArrayLike<number>, rows: number, classes: number): Float64Array {
  const out = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, scores[r * classes + c] as number);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp((scores[r * classes + c] as number) - max);
    const logSum = max + Math.log(sum);
    for (let c = 0; c < classes; c++)
      out[r * classes + c] = (scores[r * classes + c] as number) - logSum;
  }
  return out;
}

/**
 * AUC of one column against "label == positive" in Mann–Whitney form:
 * (Σ mid-ranks of positives − n₊(n₊+1)/2) / (n₊ n₋), so a tied positive/negative pair counts ½.
 * Returns undefined when either side is empty.
 */
function columnAuc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: number,
  classes: number,
  positive: number,
): number | undefined {
  const column = new Float64Array(rows);
  let positives = 0;
  for (let r = 0; r < rows; r++) {
    column[r] = scores[r * classes + positive] as number;
    if (labels[r] === positive) positives++;
  }
  const negatives = rows - positives;
  if (positives === 0 || negatives === 0) return undefined;
  const { ranks } = tiedRanks(column);
  let rankSum = 0;
  for (let r = 0; r < rows; r++) if (labels[r] === positive) rankSum += ranks[r] as number;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Macro one-vs-rest ROC AUC (the unweighted mean over classes of "class c vs all others", as
 * scikit-learn's roc_auc_score(multi_class="ovr", average="macro")). Ties count ½. Classes that
 * do not occur in `labels` are skipped (their AUC is undefined). With classes = 2 the result is
 * the AUC of class 1 (equal to that of class 0 for probabilities).
 * scores: row-major [rows, classes] probabilities or logits; labels: class indices 0..classes−1.
 * Needs at least two classes present in `labels`.
 */
export function rocAucMacro(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  options: RocAucOptions = {},
): number {
  if (!Number.isInteger(classes) || classes < 2)
    throw new RangeError(`rocAucMacro needs an integer classes ≥ 2, got ${classes}`);
  const rows = labels.length;
  if (scores.length !== rows * classes) {
    throw new RangeError(
      `rocAucMacro: scores has ${scores.length} values, expected rows × classes = ${rows} × ${classes}`,
    );
  }
  for (let r = 0; r < rows; r++) {
    const y = labels[r] as number;
    if (!Number.isInteger(y) || y < 0 || y >= classes)
      throw new RangeError(`rocAucMacro: label ${y} at row ${r} is not in 0..${classes - 1}`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i]))
      throw new RangeError(`rocAucMacro: score ${scores[i]} at index ${i} is not finite`);
  }
  const mode = options.scores ?? "auto";
  const probabilities =
    mode === "probabilities" || (mode === "auto" && looksLikeProbabilities(scores, rows, classes));
  const ranked = probabilities ? scores : logSoftmax(scores, rows, classes);

  const positiveClasses = classes === 2 ? [1] : Array.from({ length: classes }, (_, c) => c);
  let sum = 0;
  let counted = 0;
  for (const c of positiveClasses) {
    const auc = columnAuc(ranked, labels, rows, classes, c);
    if (auc === undefined) continue;
    sum += auc;
    counted++;
  }
  if (counted === 0)
    throw new RangeError("rocAucMacro needs at least two different classes in labels");
  return sum / counted;
}
