/**
 * A seeded uniform generator in (0, 1) (mulberry32), so evaluations, tests and benchmarks draw the
 * same numbers every run. An LCG in doubles (s * 1103515245 past 2^53) repeated itself every 10,466
 * draws.
 */
export function seededUniform(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
}

/** Seeded standard Gaussian noise (Box-Muller on seededUniform). */
export function gaussianNoise(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}
