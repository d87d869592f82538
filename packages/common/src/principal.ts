/** How leadingDirections iterates; every field has its default here. */
export interface SubspaceIteration {
  /** @default 12 (the gallery's code index: enough for its 96 directions of 512, see CodeIndex) */
  iterations?: number;
  /** More vectors iterated than kept: the trailing ones of an iterated subspace converge last. @default 32 */
  oversample?: number;
  /** The starting vectors' components, drawn in order, vector after vector. @default a fixed sine pattern */
  start?: () => number;
}

/**
 * The `count` leading eigenvectors of a symmetric `dims` x `dims` matrix (a covariance), by subspace
 * iteration from a fixed start, so the same matrix gives the same directions. A ridge of a millionth of
 * the mean variance keeps a rank-deficient covariance (fewer rows than dimensions) from collapsing a
 * vector to zero; it moves no eigenvector. Returns unit vectors, leading first.
 */
export function leadingDirections(
  cov: Float32Array | Float64Array,
  dims: number,
  count: number,
  { iterations = 12, oversample = 32, start }: SubspaceIteration = {},
): Float64Array[] {
  const m = Math.min(dims, count + oversample);
  let trace = 0;
  for (let i = 0; i < dims; i++) trace += cov[i * dims + i] as number;
  const ridge = (trace / dims) * 1e-6 + 1e-12;
  let vs: Float64Array[] = Array.from({ length: m }, (_, c) =>
    Float64Array.from({ length: dims }, (_, j) => (start ? start() : Math.sin(7 * c + 13 * j + 1))),
  );
  const times = (v: Float64Array): Float64Array => {
    const out = new Float64Array(dims);
    for (let a = 0; a < dims; a++) {
      let s = ridge * (v[a] as number);
      const row = a * dims;
      for (let b = 0; b < dims; b++) s += (cov[row + b] as number) * (v[b] as number);
      out[a] = s;
    }
    return out;
  };
  const orthonormalise = (set: Float64Array[]): Float64Array[] => {
    for (const [c, v] of set.entries()) {
      for (let e = 0; e < c; e++) {
        const u = set[e] as Float64Array;
        let dot = 0;
        for (let j = 0; j < dims; j++) dot += (u[j] as number) * (v[j] as number);
        for (let j = 0; j < dims; j++) v[j] = (v[j] as number) - dot * (u[j] as number);
      }
      let norm = 0;
      for (let j = 0; j < dims; j++) norm += (v[j] as number) ** 2;
      norm = Math.sqrt(norm);
      for (let j = 0; j < dims; j++) v[j] = (v[j] as number) / norm;
    }
    return set;
  };
  vs = orthonormalise(vs);
  for (let i = 0; i < iterations; i++) vs = orthonormalise(vs.map(times));
  return vs.slice(0, count);
}
