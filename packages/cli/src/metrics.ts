/** A scored comparison or attempt: `positive` is the ground truth (same person, or bona fide presentation). */
export interface Scored {
  score: number;
  positive: boolean;
}

export interface RocPoint {
  threshold: number;
  /** False accept / false match rate: negatives scored at or above the threshold. */
  far: number;
  /** True accept rate: positives scored at or above the threshold. */
  tar: number;
}

/** The ROC over every distinct threshold, from the highest score down (accept when score >= threshold). */
export function roc(items: readonly Scored[]): RocPoint[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const pos = sorted.filter((s) => s.positive).length;
  const neg = sorted.length - pos;
  const points: RocPoint[] = [{ threshold: Number.POSITIVE_INFINITY, far: 0, tar: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i] as Scored;
    if (s.positive) tp++;
    else fp++;
    if (i + 1 < sorted.length && (sorted[i + 1] as Scored).score === s.score) continue;
    points.push({ threshold: s.score, far: neg ? fp / neg : 0, tar: pos ? tp / pos : 0 });
  }
  return points;
}

export function accuracyAt(items: readonly Scored[], threshold: number): number {
  const right = items.filter((s) => s.score >= threshold === s.positive).length;
  return items.length ? right / items.length : 0;
}

/**
 * The threshold with the best accuracy. Where several thresholds tie (a plateau between scores), take the
 * middle of the widest-apart tied ones: the choice with the most room on both sides generalises best.
 */
export function bestThreshold(items: readonly Scored[]): number {
  const scores = [...new Set(items.map((s) => s.score))].sort((a, b) => a - b);
  let best = -1;
  let lowest = 0;
  let highest = 0;
  for (let i = 0; i <= scores.length; i++) {
    const lo = scores[i - 1] ?? (scores[0] as number) - 1e-3;
    const hi = scores[i] ?? (scores[scores.length - 1] as number) + 1e-3;
    const threshold = (lo + hi) / 2;
    const accuracy = accuracyAt(items, threshold);
    if (accuracy > best) {
      best = accuracy;
      lowest = threshold;
      highest = threshold;
    } else if (accuracy === best) {
      highest = threshold;
    }
  }
  return (lowest + highest) / 2;
}

/** TAR at the largest threshold whose FAR does not exceed `far`. */
export function tarAtFar(curve: readonly RocPoint[], far: number): number {
  let tar = 0;
  for (const p of curve) if (p.far <= far) tar = Math.max(tar, p.tar);
  return tar;
}

/** Equal error rate: where FAR meets FRR (1 - TAR), interpolated between ROC points. */
export function equalErrorRate(curve: readonly RocPoint[]): number {
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1] as RocPoint;
    const b = curve[i] as RocPoint;
    const da = a.far - (1 - a.tar);
    const db = b.far - (1 - b.tar);
    if (da <= 0 && db >= 0) {
      const t = da === db ? 0 : -da / (db - da);
      return a.far + t * (b.far - a.far);
    }
  }
  return 1;
}

export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

export interface PadRates {
  threshold: number;
  /** Attack presentations accepted as bona fide. */
  apcer: number;
  /** Bona fide presentations rejected as attacks. */
  bpcer: number;
  acer: number;
}

/** ISO/IEC 30107-3 rates when a presentation is called bona fide at score >= threshold. */
export function padRates(items: readonly Scored[], threshold: number): PadRates {
  const attacks = items.filter((s) => !s.positive);
  const bona = items.filter((s) => s.positive);
  const apcer = attacks.filter((s) => s.score >= threshold).length / Math.max(1, attacks.length);
  const bpcer = bona.filter((s) => s.score < threshold).length / Math.max(1, bona.length);
  return { threshold, apcer, bpcer, acer: (apcer + bpcer) / 2 };
}

/** BPCER at the lowest threshold that keeps APCER at or below `apcer`. */
export function bpcerAtApcer(items: readonly Scored[], apcer: number): PadRates {
  const curve = roc(items);
  let chosen = curve[0] as RocPoint;
  for (const p of curve) if (p.far <= apcer) chosen = p;
  return padRates(items, chosen.threshold);
}

/** Area under the ROC (probability a random positive outscores a random negative). */
export function auc(curve: readonly RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1] as RocPoint;
    const b = curve[i] as RocPoint;
    area += ((b.far - a.far) * (a.tar + b.tar)) / 2;
  }
  return area;
}
