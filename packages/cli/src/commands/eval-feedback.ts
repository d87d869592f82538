import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_THRESHOLD_OPTIONS, FileGalleryStore, Gallery } from "@facerec/gallery";
import type { FaceEngine } from "@facerec/vision";
import { embedFiles } from "../embed-files.js";
import type { EmbeddingCache } from "../embedding-cache.js";

export interface FeedbackEvalOptions {
  root: string;
  /** People with at least this many images take part. */
  minImages: number;
  /** Images each enrolled person enrols. */
  enrol: number;
  margins: number[];
  concurrency: number;
  cache?: EmbeddingCache;
}

export interface FeedbackRow {
  margin: number;
  /** Held-out impostor probes that matched anyone, before and after the feedback. */
  falseMatches: { before: number; after: number };
  /** Of those, matches to the very subject the impostor's first photo was marked "not" for. */
  recurring: { before: number; after: number };
  /** Genuine probes (enrolled people's other photos) named correctly, before and after. */
  genuine: { before: number; after: number };
  /** Genuine probes of the subjects that received a negative, named correctly, before and after. */
  genuineOfMarked: { before: number; after: number; probes: number };
}

export interface FeedbackReport {
  enrolled: number;
  impostors: number;
  /** Impostors whose first photo matched someone, and so were marked wrong. */
  marked: number;
  heldOutImpostorProbes: number;
  genuineProbes: number;
  threshold: number;
  rows: FeedbackRow[];
  seconds: number;
}

const IMAGE = /\.(jpe?g|png|webp|gif|pgm)$/i;

/**
 * Corrective feedback on look-alikes: people with `minImages` or more photos alternate (sorted by name)
 * between enrolled (their first `enrol` photos) and impostors, never enrolled. Each impostor's first
 * photo is identified; when it matches someone, an operator would say "this was wrong", so it becomes a
 * negative of that subject. Then each impostor's other photos (look-alikes of a marked face: the same
 * person) and the enrolled people's other photos are identified again, and the false and true matches
 * compared with those before the feedback.
 */
export async function evalFeedback(engine: FaceEngine, options: FeedbackEvalOptions): Promise<FeedbackReport> {
  const started = Date.now();
  const people: { name: string; images: string[] }[] = [];
  for (const name of readdirSync(options.root).sort()) {
    const dir = join(options.root, name);
    if (!statSync(dir).isDirectory()) continue;
    const images = readdirSync(dir)
      .filter((f) => IMAGE.test(f))
      .sort()
      .map((f) => join(dir, f));
    if (images.length >= options.minImages) people.push({ name, images });
  }
  const enrolled = people.filter((_, i) => i % 2 === 0);
  const impostors = people.filter((_, i) => i % 2 === 1);
  const vectors = await embedFiles(
    engine,
    people.flatMap((p) => p.images),
    options.concurrency,
    options.cache,
  );
  const model = engine.embedder.id;
  const threshold = engine.embedder.model.thresholds?.["fmr_1e-3"] ?? 0.3359;
  const genuine = enrolled.flatMap((p) => p.images.slice(options.enrol).map((path) => ({ path, person: p.name })));
  const heldOut = impostors.flatMap((p) => p.images.slice(1).map((path) => ({ path, person: p.name })));

  const rows: FeedbackRow[] = [];
  let marked = 0;
  for (const margin of options.margins) {
    const dir = mkdtempSync(join(tmpdir(), "eval-feedback-"));
    const gallery = await Gallery.open({
      store: await FileGalleryStore.open(dir, engine.embedder.dims),
      dims: engine.embedder.dims,
      thresholds: { ...DEFAULT_THRESHOLD_OPTIONS, global: threshold },
      policy: { negativeMargin: margin },
    });
    try {
      const idOf = new Map<string, string>();
      for (const p of enrolled) {
        const s = await gallery.createSubject("eval", p.name);
        idOf.set(p.name, s.id);
      }
      await gallery.enrolMany(
        "eval",
        model,
        enrolled.map((p) => ({
          subject: idOf.get(p.name) as string,
          items: p.images
            .slice(0, options.enrol)
            .flatMap((path) => (vectors.has(path) ? [{ vector: vectors.get(path) as Float32Array, quality: 1 }] : [])),
        })),
      );
      const nameOf = new Map([...idOf].map(([name, id]) => [id, name]));
      const named = async (path: string): Promise<string | undefined> => {
        const vector = vectors.get(path);
        if (!vector) return undefined;
        const d = await gallery.identify("eval", model, vector);
        return d.outcome === "match" ? nameOf.get(d.subject) : undefined;
      };
      const measure = async (markedFor: Map<string, string>) => {
        let falseMatches = 0;
        let recurring = 0;
        for (const probe of heldOut) {
          const who = await named(probe.path);
          if (!who) continue;
          falseMatches++;
          if (markedFor.get(probe.person) === who) recurring++;
        }
        const markedSubjects = new Set(markedFor.values());
        let right = 0;
        let rightOfMarked = 0;
        let probesOfMarked = 0;
        for (const probe of genuine) {
          const ok = (await named(probe.path)) === probe.person;
          if (ok) right++;
          if (markedSubjects.has(probe.person)) {
            probesOfMarked++;
            if (ok) rightOfMarked++;
          }
        }
        return { falseMatches, recurring, right, rightOfMarked, probesOfMarked };
      };
      // The operator's feedback: each impostor's first photo that matched someone is marked wrong.
      const markedFor = new Map<string, string>();
      for (const p of impostors) {
        const first = p.images[0] as string;
        const who = await named(first);
        if (who) markedFor.set(p.name, who);
      }
      const before = await measure(markedFor);
      for (const [impostor, who] of markedFor) {
        const first = impostors.find((p) => p.name === impostor)?.images[0] as string;
        await gallery.addNegative("eval", idOf.get(who) as string, model, {
          vector: vectors.get(first) as Float32Array,
          quality: 1,
        });
      }
      const after = await measure(markedFor);
      marked = markedFor.size;
      rows.push({
        margin,
        falseMatches: { before: before.falseMatches, after: after.falseMatches },
        recurring: { before: before.recurring, after: after.recurring },
        genuine: { before: before.right, after: after.right },
        genuineOfMarked: { before: before.rightOfMarked, after: after.rightOfMarked, probes: before.probesOfMarked },
      });
    } finally {
      await gallery.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    enrolled: enrolled.length,
    impostors: impostors.length,
    marked,
    heldOutImpostorProbes: heldOut.length,
    genuineProbes: genuine.length,
    threshold,
    rows,
    seconds: (Date.now() - started) / 1000,
  };
}

export function formatFeedback(r: FeedbackReport): string {
  const pair = (x: { before: number; after: number }) => `${x.before} -> ${x.after}`.padStart(14);
  return [
    `Corrective feedback: ${r.enrolled} enrolled, ${r.impostors} impostors (never enrolled); ${r.marked} impostors' first photos matched someone and were marked "not them"`,
    `held-out: ${r.heldOutImpostorProbes} other photos of the impostors, ${r.genuineProbes} genuine photos; global threshold ${r.threshold}`,
    "margin  false matches  recurring (same subject)  genuine named  genuine of marked subjects",
    ...r.rows.map(
      (x) =>
        `${x.margin.toFixed(2).padStart(6)} ${pair(x.falseMatches)} ${pair(x.recurring).padStart(24)} ${pair(x.genuine)} ${pair(x.genuineOfMarked).padStart(17)} of ${x.genuineOfMarked.probes}`,
    ),
  ].join("\n");
}
