/**
 * Special functions behind the tests in this folder: log-gamma, the regularized incomplete beta
 * and gamma functions, and the normal, Student t, chi-square and studentized-range distributions
 * built on them. Plain numbers, no dependencies (browser-safe).
 *
 * Algorithms: Lanczos log-gamma (g = 7, 9 terms); incomplete beta by Lentz's continued fraction and
 * incomplete gamma by series / continued fraction (Numerical Recipes, 3rd ed., §6.2 and §6.4);
 * quantiles by bisection on the tail probability, which keeps full relative accuracy in the tails.
 */

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);
const EPSILON = 1e-15;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;

/** ln Γ(x) for x > 0 (Lanczos approximation, ~1e-15 relative; reflection below 0.5). */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x))
    throw new RangeError(`logGamma needs a finite x > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** Continued fraction for I_x(a, b), modified Lentz (Numerical Recipes `betacf`). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) return h;
  }
  throw new Error(`incomplete beta continued fraction did not converge (a=${a}, b=${b}, x=${x})`);
}

/**
 * I_x(a, b) and its complement 1 − I_x(a, b), given x and y = 1 − x separately so that callers
 * who know y more accurately than 1 − x (the t distribution) lose no digits.
 */
function incompleteBetaPair(x: number, y: number, a: number, b: number): [number, number] {
  if (x <= 0) return [0, 1];
  if (y <= 0) return [1, 0];
  const front = Math.exp(a * Math.log(x) + b * Math.log(y) - logBeta(a, b));
  if (x < (a + 1) / (a + b + 2)) {
    const lower = (front * betaContinuedFraction(x, a, b)) / a;
    return [lower, 1 - lower];
  }
  const upper = (front * betaContinuedFraction(y, b, a)) / b;
  return [1 - upper, upper];
}

/** Regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0))
    throw new RangeError(`incomplete beta needs a, b > 0, got a=${a}, b=${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta needs 0 ≤ x ≤ 1, got ${x}`);
  return incompleteBetaPair(x, 1 - x, a, b)[0];
}

/** Series for P(a, x), valid and fast for x < a + 1 (Numerical Recipes `gser`). */
function gammaSeries(a: number, x: number): number {
  let ap = a;
  let delta = 1 / a;
  let sum = delta;
  for (let n = 0; n < MAX_ITERATIONS; n++) {
    ap += 1;
    delta *= x / ap;
    sum += delta;
    if (Math.abs(delta) < Math.abs(sum) * EPSILON) {
      return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
    }
  }
  throw new Error(`incomplete gamma series did not converge (a=${a}, x=${x})`);
}

/** Continued fraction for Q(a, x), valid for x ≥ a + 1 (Numerical Recipes `gcf`, Lentz). */
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
  }
  throw new Error(`incomplete gamma continued fraction did not converge (a=${a}, x=${x})`);
}

function checkGammaArguments(a: number, x: number): void {
  if (!(a > 0) || !Number.isFinite(a))
    throw new RangeError(`incomplete gamma needs a finite a > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`incomplete gamma needs x ≥ 0, got ${x}`);
}

/** Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a). */
export function regularizedGammaP(a: number, x: number): number {
  checkGammaArguments(a, x);
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x), computed directly for small tails. */
export function regularizedGammaQ(a: number, x: number): number {
  checkGammaArguments(a, x);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

/** Upper tail of the standard normal, 1 − Φ(x); erfc(z) = Q(1/2, z²). */
export function normalSurvival(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const tail = 0.5 * regularizedGammaQ(0.5, 0.5 * x * x);
  return x >= 0 ? tail : 1 - tail;
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return normalSurvival(-x);
}

/**
 * Smallest x ≥ 0 (to float resolution) with tail(x) ≤ q, for a tail function decreasing from
 * tail(0) ≥ q. The bracket grows by doubling, then bisection runs to machine precision.
 */
function invertDecreasingTail(tail: (x: number) => number, q: number): number {
  let lo = 0;
  let hi = 1;
  while (tail(hi) > q) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) throw new RangeError(`tail probability ${q} is too small to invert`);
  }
  for (let i = 0; i < 2000; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (tail(mid) > q) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

function checkProbability(p: number, what: string): void {
  if (!(p > 0 && p < 1)) throw new RangeError(`${what} needs a probability in (0, 1), got ${p}`);
}

/** Standard normal quantile Φ⁻¹(p). */
export function normalQuantile(p: number): number {
  checkProbability(p, "normalQuantile");
  if (p === 0.5) return 0;
  const x = invertDecreasingTail(normalSurvival, Math.min(p, 1 - p));
  return p > 0.5 ? x : -x;
}

function checkDegreesOfFreedom(df: number, what: string): void {
  if (!(df > 0)) throw new RangeError(`${what} needs degrees of freedom > 0, got ${df}`);
}

/** P(T > t) for t ≥ 0: ½ I_{ν/(ν+t²)}(ν/2, 1/2). */
function studentTUpperTail(t: number, df: number): number {
  if (df === Infinity) return normalSurvival(t);
  const t2 = t * t;
  return 0.5 * incompleteBetaPair(df / (df + t2), t2 / (df + t2), df / 2, 0.5)[0];
}

/** CDF of Student's t with `df` degrees of freedom (df = Infinity gives the normal). */
export function studentTCdf(t: number, df: number): number {
  checkDegreesOfFreedom(df, "studentTCdf");
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = studentTUpperTail(Math.abs(t), df);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t: the t with P(T ≤ t) = p (df = Infinity gives the normal quantile). */
export function studentTQuantile(p: number, df: number): number {
  checkProbability(p, "studentTQuantile");
  checkDegreesOfFreedom(df, "studentTQuantile");
  if (p === 0.5) return 0;
  const t = invertDecreasingTail((x) => studentTUpperTail(x, df), Math.min(p, 1 - p));
  return p > 0.5 ? t : -t;
}

/** CDF of the chi-square distribution with k degrees of freedom: P(k/2, x/2). */
export function chiSquareCdf(x: number, k: number): number {
  checkDegreesOfFreedom(k, "chiSquareCdf");
  if (Number.isNaN(x)) return NaN;
  return x <= 0 ? 0 : regularizedGammaP(k / 2, x / 2);
}

/** Upper tail of the chi-square distribution, 1 − CDF, computed as Q(k/2, x/2) (a p-value). */
export function chiSquareSurvival(x: number, k: number): number {
  checkDegreesOfFreedom(k, "chiSquareSurvival");
  if (Number.isNaN(x)) return NaN;
  return x <= 0 ? 1 : regularizedGammaQ(k / 2, x / 2);
}

const RANGE_Z_LIMIT = 9;
const RANGE_STEPS = 1800;

/**
 * CDF of the studentized range of k independent standard normals with infinite degrees of
 * freedom: P(R ≤ q) = k ∫ φ(z) [Φ(z) − Φ(z − q)]^{k−1} dz, by composite Simpson on [−9, 9]
 * with step 0.01 (the integrand is smooth and φ is below 1e-17 outside).
 */
export function studentizedRangeCdf(q: number, k: number): number {
  if (!Number.isInteger(k) || k < 2)
    throw new RangeError(`studentized range needs an integer k ≥ 2, got ${k}`);
  if (!(q > 0)) return 0;
  if (q === Infinity) return 1;
  const h = (2 * RANGE_Z_LIMIT) / RANGE_STEPS;
  let sum = 0;
  for (let i = 0; i <= RANGE_STEPS; i++) {
    const z = -RANGE_Z_LIMIT + i * h;
    const density = Math.exp(-0.5 * z * z - HALF_LOG_TWO_PI);
    const inside = normalCdf(z) - normalCdf(z - q);
    const weight = i === 0 || i === RANGE_STEPS ? 1 : i % 2 === 1 ? 4 : 2;
    sum += weight * density * Math.pow(Math.max(inside, 0), k - 1);
  }
  return Math.min(1, (k * sum * h) / 3);
}

/** Quantile of the studentized range (infinite df): the q with P(R ≤ q) = p, by bisection. */
export function studentizedRangeQuantile(p: number, k: number): number {
  checkProbability(p, "studentizedRangeQuantile");
  return invertDecreasingTail((q) => 1 - studentizedRangeCdf(q, k), 1 - p);
}
