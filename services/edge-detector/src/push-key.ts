// The key that pushes to the edge's /v1/frames must carry. A camera network is not a trusted one, so
// a key is required unless the operator says outright that none is wanted.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { privateFolder, writeDurably } from "@facerec/storage";

/** The file in the data folder that keeps the key made at the first start. */
export const PUSH_KEY_FILE = "edge-push.key";
/** The EDGE_PUSH_KEY that takes pushes without a key: a word, so that no key is never an accident. */
export const NO_PUSH_KEY = "none";
/** Random bytes in a made key: as many as the product's other secrets. */
const KEY_BYTES = 32;

export type PushKey =
  /** EDGE_PUSH_KEY=none: anyone who reaches the port may push. */
  | { kind: "none" }
  /** The key in EDGE_PUSH_KEY; the data folder's file is neither read nor made. */
  | { kind: "configured"; key: string }
  /** The key in the data folder's file; `made` at the start that wrote it, the one start that shows it. */
  | { kind: "stored"; key: string; file: string; made: boolean };

/**
 * The push key: EDGE_PUSH_KEY when set (surrounding whitespace dropped, as a header cannot carry it),
 * else the key in `<data>/edge-push.key`, made at the first start as 32 random bytes in base64url, the
 * file 0600 in a folder 0700. An empty EDGE_PUSH_KEY is refused: it is likelier a Secret that came out
 * empty than a wish to take frames from anyone.
 */
export function pushKeyFor(data: string, env: NodeJS.ProcessEnv = process.env): PushKey {
  const configured = env.EDGE_PUSH_KEY?.trim();
  if (configured === NO_PUSH_KEY) return { kind: "none" };
  if (configured !== undefined) {
    if (!configured)
      throw new RangeError(`EDGE_PUSH_KEY is empty: set a key, or EDGE_PUSH_KEY=${NO_PUSH_KEY} to take frames without one`);
    return { kind: "configured", key: configured };
  }
  // The folder is (made or narrowed to) 0700 at every start: an earlier version, or an operator, may
  // have left it open, and it holds the spooled face crops as well as the key.
  privateFolder(data);
  const file = join(data, PUSH_KEY_FILE);
  const made = !existsSync(file);
  if (made) writeDurably(file, `${randomBytes(KEY_BYTES).toString("base64url")}\n`);
  // Read back even when just written: what is on disk is what later starts require, whoever wrote it
  // (another edge on the same folder may have been starting too).
  const key = readFileSync(file, "utf8").trim();
  if (!key) throw new RangeError(`${file} holds no key: delete it to have a new one made, or set EDGE_PUSH_KEY`);
  return { kind: "stored", key, file, made };
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * Whether an Authorization header carries `key` as a bearer token; any push does under
 * EDGE_PUSH_KEY=none. Digests are compared, so the time taken says nothing of the key, its length
 * included.
 */
export function pushAllowed(push: PushKey, authorization: string | undefined): boolean {
  if (push.kind === "none") return true;
  const given = /^Bearer (.+)$/i.exec(authorization ?? "")?.[1];
  return given !== undefined && timingSafeEqual(digest(given), digest(push.key));
}
