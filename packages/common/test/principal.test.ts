import { describe, expect, it } from "vitest";
import { leadingDirections } from "../src/principal.js";
import { gaussianNoise } from "../src/random.js";

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * (b[i] as number), 0);

/** An orthonormal basis of `d` random vectors (Gram-Schmidt over Gaussian draws). */
function basis(d: number): Float64Array[] {
  const gauss = gaussianNoise(3);
  const out: Float64Array[] = [];
  for (let c = 0; c < d; c++) {
    const v = Float64Array.from({ length: d }, gauss);
    for (const u of out) {
      const p = dot(u, v);
      for (let j = 0; j < d; j++) v[j] = (v[j] as number) - p * (u[j] as number);
    }
    const n = Math.sqrt(dot(v, v));
    out.push(v.map((x) => x / n));
  }
  return out;
}

/** The covariance U diag(λ) Uᵀ. */
function covariance(u: Float64Array[], lambdas: number[]): Float64Array {
  const d = u.length;
  const cov = new Float64Array(d * d);
  for (const [c, vec] of u.entries())
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++)
        cov[a * d + b] = (cov[a * d + b] as number) + (lambdas[c] ?? 0) * (vec[a] as number) * (vec[b] as number);
  return cov;
}

describe("leadingDirections", () => {
  it("finds a covariance's leading eigenvectors, leading first", () => {
    const d = 16;
    const u = basis(d);
    const lambdas = Array.from({ length: d }, (_, c) => 2 ** (d - c));
    const found = leadingDirections(covariance(u, lambdas), d, 4);
    expect(found).toHaveLength(4);
    for (const [c, v] of found.entries()) {
      expect(Math.abs(dot(v, u[c] as Float64Array))).toBeCloseTo(1, 5);
      expect(dot(v, v)).toBeCloseTo(1, 9);
    }
  });

  it("gives unit vectors, none of them zero, from a covariance of lower rank than asked for", () => {
    const d = 12;
    const u = basis(d);
    const found = leadingDirections(covariance(u, [3, 1]), d, 6);
    expect(Math.abs(dot(found[0] as Float64Array, u[0] as Float64Array))).toBeCloseTo(1, 6);
    expect(Math.abs(dot(found[1] as Float64Array, u[1] as Float64Array))).toBeCloseTo(1, 6);
    for (const [i, v] of found.entries()) {
      expect(dot(v, v)).toBeCloseTo(1, 9);
      for (const w of found.slice(0, i)) expect(Math.abs(dot(v, w))).toBeLessThan(1e-6);
    }
  });
});
