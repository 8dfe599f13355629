/**
 * The Bessel function of the first kind of order zero, for the KAN paper's toy target J0(20x).
 *
 * From Bessel's integral J0(x) = (1/2π) ∫₀^{2π} cos(x sin θ) dθ (DLMF 10.9.1) by the trapezoidal
 * rule with M equally spaced nodes. The integrand is periodic and analytic, and its Fourier series
 * cos(x sin θ) = J0(x) + 2 Σₘ J₂ₘ(x) cos(2mθ) (DLMF 10.12.2) shows the rule's error is
 * 2 Σₖ J_{kM}(x) for even M, which is below 1e-16 once M exceeds |x| by a margin growing like
 * |x|^(1/3) (the transition region of J_ν). Measured against mpmath: |error| < 3e-15 on
 * [-30, 30] and at 50, 100, 250, 1000; cost grows linearly in |x|, fine for J0(20x) on [-1, 1].
 */
export function besselJ0(x: number): number {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? Number.NaN : 0;
  const a = Math.abs(x);
  const nodes = 2 * Math.ceil((a + 10 * Math.cbrt(a) + 24) / 2);
  let sum = 0;
  for (let j = 0; j < nodes; j++) sum += Math.cos(x * Math.sin((2 * Math.PI * j) / nodes));
  return sum / nodes;
}
