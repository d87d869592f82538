import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { PolicyVersion } from "./policy.js";

/** One measured error rate as the notice states it, with where the figure came from. */
export interface NoticeRate {
  /** What was measured, in words (e.g. "false non-identification rate at 1% false positives"). */
  measure: string;
  value: number;
  /** The operating point: a threshold, a target rate. */
  at: string;
  /** The evaluation output it was read from, and what it was measured on. */
  source: string;
}

/**
 * What the people a tenant's cameras see are told: what runs, how often it errs (measured, with the
 * source of each figure), what is kept and for how long, and whom to ask.
 */
export interface TransparencyNotice {
  tenant: string;
  generatedAt: string;
  policyVersion: number;
  noticeVersion: string;
  contact: string;
  consentRequired: boolean;
  models: { role: string; id: string }[];
  errorRates: NoticeRate[];
  stored: string[];
  retention: string[];
  liveness: string;
  /** Files in the evidence folder that are no evaluation output this notice reads. */
  unreadEvidence: string[];
}

type Json = Record<string, unknown>;

/**
 * The false-match rate a calibration (`fmr_1e-3: 0.3359`, ... as `facerec calibrate` prints and packs
 * record) says the threshold in use gives, as the notice states it; undefined when none matches it.
 */
export function fmrRate(thresholds: Record<string, unknown>, thresholdInUse: number, source: string): NoticeRate | undefined {
  const inUse = Object.entries(thresholds).find(
    ([k, t]) => k.startsWith("fmr_") && isNumber(t) && Math.abs(t - thresholdInUse) < 5e-5,
  );
  if (!inUse) return undefined;
  return {
    measure: "false match rate per comparison with one enrolled person",
    value: Number(inUse[0].slice(4)),
    at: `threshold ${thresholdInUse}`,
    source,
  };
}
/**
 * What a threshold set for the gallery's size is set for: strangers named as someone enrolled at the
 * target rate (FPIR), at the threshold the people enrolled now call for.
 */
export function targetRate(target: number, thresholdInUse: number, source: string): NoticeRate {
  return {
    measure: "strangers named as someone enrolled (false positive identification rate): the target the threshold is set for",
    value: target,
    at: `threshold ${thresholdInUse.toFixed(4)} for the people enrolled now`,
    source,
  };
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * The rates one evaluation output states, recognised by its fields: `facerec eval lfw --json`,
 * `facerec eval identify --json`, `facerec eval pad --json`, `facerec calibrate --json`. Undefined when
 * the JSON is none of these.
 */
export function ratesOf(report: Json, source: string, thresholdInUse: number): NoticeRate[] | undefined {
  if (isNumber(report.eer) && isNumber(report["tar_at_far_1e-3"]) && isNumber(report.accuracy)) {
    const on = `${source}: ${report.pairs} pairs, ${String(report.protocol ?? "")}`.trim();
    return [
      { measure: "1:1 verification accuracy", value: report.accuracy, at: `threshold ${report.threshold}`, source: on },
      { measure: "true match rate at 1 false match in 1,000", value: report["tar_at_far_1e-3"], at: "FMR 1e-3", source: on },
      { measure: "equal error rate", value: report.eer, at: "where false match and false non-match rates are equal", source: on },
    ];
  }
  const operating = report.operating as Json | undefined;
  if (operating && isNumber(operating.fpir) && isNumber(operating.fnir) && isNumber(operating.threshold)) {
    const on = `${source}: ${operating.subjects} enrolled, ${report.mated_probes} mated and ${report.non_mated_probes} non-mated probes of people the thresholds were not calibrated on (${String(operating.people)})`;
    const at = `the product's threshold for target ${String(operating.target)} (${operating.threshold.toFixed(4)})`;
    return [
      {
        measure: "strangers named as someone enrolled (false positive identification rate)",
        value: operating.fpir,
        at,
        source: on,
      },
      { measure: "enrolled people not recognised (false non-identification rate)", value: operating.fnir, at, source: on },
    ];
  }
  const adaptive = report.adaptive as Json | undefined;
  if (adaptive && isNumber(adaptive["fnir_at_fpir_1e-2"]) && isNumber(adaptive.rank1)) {
    const on = `${source}: ${report.enrolled} enrolled, ${report.mated_probes} mated and ${report.non_mated_probes} non-mated probes`;
    return [
      {
        measure: "enrolled people not recognised (false non-identification rate)",
        value: adaptive["fnir_at_fpir_1e-2"],
        at: "1% of strangers named as someone (FPIR 1e-2)",
        source: on,
      },
      { measure: "enrolled people ranked first (rank-1)", value: adaptive.rank1, at: "closed set", source: on },
    ];
  }
  const heldOut = report.held_out as { apcer?: Json; bpcer?: Json } | undefined;
  if (report.kind === "facerec-liveness-calibration" && heldOut?.apcer && heldOut.bpcer && isNumber(report.threshold)) {
    const interval = (r: Json) => `${String(r.low)} to ${String(r.high)} (95%), of ${String(r.of)}`;
    return [
      {
        measure: "real faces refused as attacks (BPCER), on captures the threshold was not fitted on",
        value: Number(heldOut.bpcer.value),
        at: `liveness threshold ${report.threshold} (APCER ${String(report.target_apcer)} on this site's captures); attacks accepted (APCER) ${String(heldOut.apcer.value)}, ${interval(heldOut.apcer)}`,
        source: `${source}: ${String(report.bona_fide)} real and ${String(report.attacks)} attack images from the deployment's own cameras, \`facerec calibrate liveness\`; BPCER ${interval(heldOut.bpcer)}`,
      },
    ];
  }
  if (isNumber(report.bpcer_at_apcer_5) && isNumber(report.auc)) {
    return [
      {
        measure: "real faces refused as photos (BPCER)",
        value: report.bpcer_at_apcer_5,
        at: `5% of printed photos accepted (APCER), threshold ${report.threshold_at_apcer_5}`,
        source: `${source}: ${report.bona_fide} real, ${report.attacks} attack images`,
      },
    ];
  }
  const thresholds = report.thresholds as Record<string, unknown> | undefined;
  if (thresholds && isNumber(report.impostor_pairs)) {
    const rate = fmrRate(thresholds, thresholdInUse, `${source}: ${report.impostor_pairs} impostor pairs`);
    return rate ? [rate] : [];
  }
  return undefined;
}

/**
 * Read every JSON file in the evidence folder (evaluation outputs saved by the operator, e.g.
 * `facerec eval lfw --json > data/evidence/lfw.json`), newest figures as they stand on disk.
 */
export function readEvidence(dir: string, thresholdInUse: number): { rates: NoticeRate[]; unread: string[] } {
  const rates: NoticeRate[] = [];
  const unread: string[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
  } catch {
    return { rates, unread };
  }
  for (const file of files) {
    const path = join(dir, file);
    try {
      const source = `${file} (${statSync(path).mtime.toISOString().slice(0, 10)})`;
      const found = ratesOf(JSON.parse(readFileSync(path, "utf8")) as Json, source, thresholdInUse);
      if (found) rates.push(...found);
      else unread.push(file);
    } catch {
      unread.push(file);
    }
  }
  return { rates, unread };
}

/** The notice from the policy in force and what the deployment runs and measured. */
export function buildNotice(input: {
  policy: PolicyVersion;
  models: { role: string; id: string }[];
  evidence: { rates: NoticeRate[]; unread: string[] };
  /** The model pack's own calibration, when no evaluation output is in the folder for it. */
  packRates: NoticeRate[];
  stored: string[];
  retention: string[];
  liveness: string;
  now?: Date;
}): TransparencyNotice {
  const { policy } = input.policy;
  return {
    tenant: input.policy.tenant,
    generatedAt: (input.now ?? new Date()).toISOString(),
    policyVersion: input.policy.version,
    noticeVersion: policy.consent.noticeVersion,
    contact: policy.contact,
    consentRequired: policy.consent.required,
    models: input.models,
    errorRates: [...input.evidence.rates, ...input.packRates],
    stored: input.stored,
    retention: [
      policy.retention.templatesDays === null
        ? "face templates: until the person is erased or withdraws consent"
        : `face templates: erased ${policy.retention.templatesDays} days after the person's newest enrolment`,
      policy.retention.auditDays === null
        ? "audit entries: kept for accountability"
        : `audit entries: ${policy.retention.auditDays} days, then pruned behind a checkpoint that keeps the rest verifiable`,
      ...input.retention,
    ],
    liveness: input.liveness,
    unreadEvidence: input.evidence.unread,
  };
}
