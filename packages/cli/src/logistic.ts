import { type LogisticModel, predictLogistic } from "@facerec/vision";

/**
 * L2-regularised logistic regression fitted by Newton's method, on features standardised with the
 * training set's mean and spread: the small head learnt on the liveness models' last-layer features.
 */
/** Solve A x = b for a symmetric positive-definite A (row-major, n x n) by Cholesky; A is overwritten. */
function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j] as number;
    for (let k = 0; k < j; k++) d -= (a[j * n + k] as number) ** 2;
    const root = Math.sqrt(Math.max(d, 1e-12));
    a[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (a[i * n + k] as number) * (a[j * n + k] as number);
      a[i * n + j] = s / root;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (a[i * n + k] as number) * (y[k] as number);
    y[i] = s / (a[i * n + i] as number);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let k = i + 1; k < n; k++) s -= (a[k * n + i] as number) * (x[k] as number);
    x[i] = s / (a[i * n + i] as number);
  }
  return x;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Fit on rows `x` with labels `y` (1 = live); `lambda` weighs the L2 penalty (not on the bias). */
export function fitLogistic(
  x: readonly Float32Array[],
  y: readonly number[],
  lambda = 1,
  iterations = 12,
): LogisticModel & { mean: Float64Array; scale: Float64Array; weights: Float64Array } {
  const dims = x[0]?.length ?? 0;
  const mean = new Float64Array(dims);
  const scale = new Float64Array(dims);
  for (const row of x) for (let j = 0; j < dims; j++) mean[j] = (mean[j] as number) + (row[j] as number) / x.length;
  for (const row of x) {
    for (let j = 0; j < dims; j++) scale[j] = (scale[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2 / x.length;
  }
  for (let j = 0; j < dims; j++) scale[j] = 1 / Math.sqrt((scale[j] as number) + 1e-9);
  const n = dims + 1;
  const z = x.map((row) => {
    const out = new Float64Array(n);
    for (let j = 0; j < dims; j++) out[j] = ((row[j] as number) - (mean[j] as number)) * (scale[j] as number);
    out[dims] = 1;
    return out;
  });
  const w = new Float64Array(n);
  for (let it = 0; it < iterations; it++) {
    const hessian = new Float64Array(n * n);
    const gradient = new Float64Array(n);
    for (const [i, row] of z.entries()) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += (row[j] as number) * (w[j] as number);
      const p = sigmoid(dot);
      const r = p - (y[i] as number);
      const v = p * (1 - p);
      for (let j = 0; j < n; j++) {
        gradient[j] = (gradient[j] as number) + r * (row[j] as number);
        const vj = v * (row[j] as number);
        for (let k = 0; k <= j; k++) hessian[j * n + k] = (hessian[j * n + k] as number) + vj * (row[k] as number);
      }
    }
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < j; k++) hessian[k * n + j] = hessian[j * n + k] as number;
      if (j < dims) {
        gradient[j] = (gradient[j] as number) + lambda * (w[j] as number);
        hessian[j * n + j] = (hessian[j * n + j] as number) + lambda;
      } else {
        hessian[j * n + j] = (hessian[j * n + j] as number) + 1e-6;
      }
    }
    const step = solveSpd(hessian, gradient, n);
    for (let j = 0; j < n; j++) w[j] = (w[j] as number) - (step[j] as number);
  }
  return { mean, scale, weights: w };
}

/**
 * Scores for every row from a model that never saw its group (leave one group out: here, one NUAA
 * subject at a time), so the pooled scores measure how the head does on people it was not fitted on.
 */
export function leaveOneGroupOut(
  x: readonly Float32Array[],
  y: readonly number[],
  groups: readonly string[],
  lambda: number,
): number[] {
  const scores = new Array<number>(x.length).fill(0);
  for (const held of new Set(groups)) {
    const train = x.flatMap((_, i) => (groups[i] === held ? [] : [i]));
    const model = fitLogistic(
      train.map((i) => x[i] as Float32Array),
      train.map((i) => y[i] as number),
      lambda,
    );
    for (const [i, row] of x.entries()) if (groups[i] === held) scores[i] = predictLogistic(model, row);
  }
  return scores;
}
