import { readdirSync } from "node:fs";
import { join } from "node:path";
import { gaussianNoise } from "@facerec/common";
import {
  type Affine,
  CHALLENGE_ACTIONS,
  type ChallengeAction,
  type FaceEngine,
  type FrameObservation,
  type Image,
  judgeChallenge,
  observedActions,
  warpAffine,
} from "@facerec/vision";
import { loadImage } from "../engine-options.js";
import { Progress } from "../progress.js";

export interface ChallengeEvalOptions {
  /** A folder of one folder per person, each holding that person's photos (ORL's `png`). */
  root: string;
  /** Only the first N people (sorted by folder name); all when absent. */
  subjects?: number;
}

/** How a photo sits in a frame: on top of centring it at SCALE, a shift, a size change, a roll, a squeeze. */
interface Placement {
  dx: number;
  dy: number;
  scale: number;
  rollDegrees: number;
  /** Across (a flat photo turned about its upright axis) and down (tipped back), 1 for neither. */
  squeezeX: number;
  squeezeY: number;
}

/** The camera frame the photos are shown in, and how much larger a photo appears in it (ORL's 92x112 as 276x336). */
const FRAME = { width: 640, height: 480 };
const SCALE = 3;
const STILL_FRAMES = 12;
const HANDHELD_FRAMES = 15;
/** How far a hand holding a photo wanders between frames (standard deviations). */
const JITTER = { shift: 6, scale: 0.03, rollDegrees: 2 };
const SQUEEZES = [1, 0.85, 0.7, 0.55, 0.55, 0.7, 0.85];

export interface AttackReport {
  attack: string;
  sequences: number;
  /** Sequences in which any action was read at all. */
  showedAnAction: number;
  /** Per action, the share of sequences a one-action challenge asking it would have passed. */
  apcer: Record<ChallengeAction, number>;
  /** The share a two-action challenge (the default) would have passed, over the six orders. */
  apcerTwoSteps: number;
}

export interface ChallengeEvalReport {
  photos: number;
  /** Photos in which no single face was found at the identity placement (left out). */
  noFace: number;
  attacks: AttackReport[];
  seconds: number;
}

const identity: Placement = { dx: 0, dy: 0, scale: 1, rollDegrees: 0, squeezeX: 1, squeezeY: 1 };

/** The photo placed in a camera frame: each frame pixel read back through the placement's inverse. */
function frame(photo: Image, p: Placement): Image {
  const theta = (p.rollDegrees * Math.PI) / 180;
  const sx = SCALE * p.scale * p.squeezeX;
  const sy = SCALE * p.scale * p.squeezeY;
  const cx = FRAME.width / 2 + p.dx;
  const cy = FRAME.height / 2 + p.dy;
  const [a, b, c, d] = [Math.cos(theta) / sx, Math.sin(theta) / sx, -Math.sin(theta) / sy, Math.cos(theta) / sy];
  const affine: Affine = [a, b, photo.width / 2 - (a * cx + b * cy), c, d, photo.height / 2 - (c * cx + d * cy)];
  return warpAffine(photo, affine, FRAME.width, FRAME.height);
}

async function observe(engine: FaceEngine, photo: Image, p: Placement): Promise<FrameObservation> {
  const faces = await engine.poses(frame(photo, p));
  const only = faces.length === 1 ? faces[0] : undefined;
  return only ? { faces: 1, box: only.box, pose: only.pose } : { faces: faces.length };
}

/**
 * Presentation attacks on the active liveness check, simulated with every photo of a folder of
 * people: the photo held still (one frame repeated), held by a hand that wanders, and held flat but
 * turned and tipped back to fake a head turn or closed eyes. Each sequence is judged as the answer
 * to every one-action challenge and every two-action one; the report gives the share that would
 * have passed (APCER). The person never moves, so no bona fide rate can be measured from these.
 */
export async function evalChallenge(engine: FaceEngine, options: ChallengeEvalOptions): Promise<ChallengeEvalReport> {
  const started = Date.now();
  const people = readdirSync(options.root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort((x, y) => x.localeCompare(y, "en", { numeric: true }))
    .slice(0, options.subjects);
  const photos = people.flatMap((person) =>
    readdirSync(join(options.root, person))
      .sort((x, y) => x.localeCompare(y, "en", { numeric: true }))
      .map((file) => join(options.root, person, file)),
  );
  const attacks = ["still photo", "hand-held photo", "photo turned and tipped"];
  const sequences: FrameObservation[][][] = attacks.map(() => []);
  let noFace = 0;
  const progress = new Progress("challenge attacks", photos.length);
  for (const [index, path] of photos.entries()) {
    progress.tick();
    const photo = await loadImage(path);
    const still = await observe(engine, photo, identity);
    if (still.faces !== 1) {
      noFace++;
      continue;
    }
    // The same wander for a photo on every run: seeded by its place in the list.
    const noise = gaussianNoise(index + 1);
    const wander = (): Placement => ({
      ...identity,
      dx: JITTER.shift * noise(),
      dy: JITTER.shift * noise(),
      scale: 1 + JITTER.scale * noise(),
      rollDegrees: JITTER.rollDegrees * noise(),
    });
    sequences[0]?.push(Array.from({ length: STILL_FRAMES }, () => still));
    const handheld: FrameObservation[] = [];
    for (let i = 0; i < HANDHELD_FRAMES; i++) handheld.push(await observe(engine, photo, wander()));
    sequences[1]?.push(handheld);
    const turned: FrameObservation[] = [];
    for (const squeezeX of SQUEEZES) turned.push(await observe(engine, photo, { ...wander(), squeezeX }));
    for (const squeezeY of SQUEEZES) turned.push(await observe(engine, photo, { ...wander(), squeezeY }));
    sequences[2]?.push(turned);
  }
  const pairs = CHALLENGE_ACTIONS.flatMap((a) => CHALLENGE_ACTIONS.filter((b) => b !== a).map((b) => [a, b]));
  return {
    photos: photos.length,
    noFace,
    attacks: attacks.map((attack, i) => {
      const runs = sequences[i] ?? [];
      const share = (asked: ChallengeAction[]) =>
        runs.filter((frames) => judgeChallenge(asked, frames).live).length / runs.length;
      return {
        attack,
        sequences: runs.length,
        showedAnAction: runs.filter((frames) => observedActions(frames).length > 0).length,
        apcer: Object.fromEntries(CHALLENGE_ACTIONS.map((a) => [a, share([a])])) as Record<ChallengeAction, number>,
        apcerTwoSteps: pairs.reduce((sum, pair) => sum + share(pair), 0) / pairs.length,
      };
    }),
    seconds: (Date.now() - started) / 1000,
  };
}

export function formatChallenge(r: ChallengeEvalReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `${r.photos} photos (${r.noFace} without a single face, left out), ${r.seconds.toFixed(0)} s`,
    `attack                     sequences  any action  ${CHALLENGE_ACTIONS.map((a) => `APCER ${a}`.padEnd(18)).join("")}APCER two steps`,
  ];
  for (const a of r.attacks) {
    lines.push(
      `${a.attack.padEnd(27)}${String(a.sequences).padStart(9)}  ${String(a.showedAnAction).padStart(10)}  ${CHALLENGE_ACTIONS.map((x) => pct(a.apcer[x]).padEnd(18)).join("")}${pct(a.apcerTwoSteps)}`,
    );
  }
  return lines.join("\n");
}
