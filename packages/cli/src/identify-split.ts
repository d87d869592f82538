import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export interface IdentifySplit {
  /** Enrolled people and the images that enrol them. */
  gallery: Map<string, string[]>;
  /** Images of enrolled people not used for enrolment, with who they show. */
  mated: { path: string; person: string }[];
  /** Images of people never enrolled. */
  nonMated: string[];
}

const IMAGE = /\.(jpe?g|png|webp|gif|pgm)$/i;

/**
 * Open-set split of a folder-per-person dataset: people with more than `enrol` images enrol their first
 * `enrol` (sorted by name); their remaining images are mated probes. People with `enrol` images or fewer
 * are never enrolled, and all their images are non-mated probes. `only` keeps the named people alone.
 */
export function splitForIdentification(root: string, enrol: number, only?: ReadonlySet<string>): IdentifySplit {
  const gallery = new Map<string, string[]>();
  const mated: { path: string; person: string }[] = [];
  const nonMated: string[] = [];
  for (const person of readdirSync(root).sort()) {
    if (only && !only.has(person)) continue;
    const dir = join(root, person);
    if (!statSync(dir).isDirectory()) continue;
    const images = readdirSync(dir)
      .filter((f) => IMAGE.test(f))
      .sort()
      .map((f) => join(dir, f));
    if (images.length > enrol) {
      gallery.set(person, images.slice(0, enrol));
      for (const path of images.slice(enrol)) mated.push({ path, person });
    } else {
      nonMated.push(...images);
    }
  }
  return { gallery, mated, nonMated };
}
