import { writeFileSync } from "node:fs";
import sharp from "sharp";
import { shared } from "./paths.js";

/** A camera frame's size: the ORL capture scaled 3x (276x336) sits in the middle of it. */
export const FRAME = { width: 640, height: 480 };

/** One of ORL's ten captures of a person (`../shared/data/orl_att_faces/png/sN/K.png`). */
export const orl = (subject: number, capture: number): string =>
  shared("data", "orl_att_faces", "png", `s${subject}`, `${capture}.png`);

/**
 * A 640x480 grey camera frame showing one ORL capture. `flip` mirrors it (a head turned the other
 * way); `squeeze` scales it across (`x`) or down (`y`), as a flat photo looks when turned or tipped
 * back in front of a camera.
 */
export async function orlFrame(
  subject: number,
  capture: number,
  options: { flip?: boolean; squeeze?: { x?: number; y?: number } } = {},
): Promise<{ grey: Buffer; jpeg: Buffer }> {
  const width = Math.round(276 * (options.squeeze?.x ?? 1));
  const height = Math.round(336 * (options.squeeze?.y ?? 1));
  const face = await sharp(orl(subject, capture))
    .greyscale()
    .resize(width, height, { fit: "fill" })
    .flop(options.flip === true)
    .raw()
    .toBuffer();
  const grey = Buffer.alloc(FRAME.width * FRAME.height, 96);
  const left = (FRAME.width - width) >> 1;
  const top = (FRAME.height - height) >> 1;
  for (let y = 0; y < height; y++) face.copy(grey, (top + y) * FRAME.width + left, y * width, (y + 1) * width);
  const jpeg = await sharp(grey, { raw: { ...FRAME, channels: 1 } })
    .jpeg({ quality: 90 })
    .toBuffer();
  return { grey, jpeg };
}

/**
 * A Y4M video (what Chromium's fake camera plays, in a loop) of grey frames, each held `seconds`:
 * the grey values are the luma plane and the chroma planes are neutral.
 */
export function writeY4m(path: string, shots: { grey: Buffer; seconds: number }[], fps = 25): void {
  const header = Buffer.from(`YUV4MPEG2 W${FRAME.width} H${FRAME.height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  const chroma = Buffer.alloc((FRAME.width / 2) * (FRAME.height / 2) * 2, 128);
  const parts: Buffer[] = [header];
  for (const shot of shots) {
    for (let i = 0; i < Math.round(shot.seconds * fps); i++) parts.push(Buffer.from("FRAME\n"), shot.grey, chroma);
  }
  writeFileSync(path, Buffer.concat(parts));
}

/** Which ORL s1 capture answers each challenge action: 3 is turned to her right, 9 has her eyes closed. */
const ANSWERS: Record<string, { capture: number; flip?: boolean }> = {
  "turn-right": { capture: 3 },
  "turn-left": { capture: 3, flip: true },
  blink: { capture: 9 },
};

const madeFrames = new Map<string, Promise<Buffer>>();
/** A JPEG frame of ORL s1 by name: a capture number ("1"), or the capture that answers an action. */
export function s1Frame(name: string): Promise<Buffer> {
  let made = madeFrames.get(name);
  if (!made) {
    const answer = ANSWERS[name];
    made = (answer ? orlFrame(1, answer.capture, { flip: answer.flip === true }) : orlFrame(1, Number(name))).then((f) => f.jpeg);
    madeFrames.set(name, made);
  }
  return made;
}

/** Frames of ORL s1 answering `actions` in order: facing the camera (1, 2, 4), then each action held for three frames and released. */
export function answerFrames(actions: readonly string[]): Promise<Buffer[]> {
  const facing = ["1", "2", "4"];
  return Promise.all([...facing, ...actions.flatMap((a) => [a, a, a, ...facing])].map(s1Frame));
}
