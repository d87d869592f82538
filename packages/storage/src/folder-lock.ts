import { randomUUID } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { PRIVATE_FILE, privateFolder, privateUmask } from "./private-files.js";

/** Who holds a data folder, as its lock file says. */
interface Holder {
  pid: number;
  host: string;
  /** Tells two holders with one pid apart (an earlier process with this pid, a restarted container's 1). */
  token: string;
}

/** The data folder is held by another process (or by this one, opened twice). */
export class FolderLockedError extends Error {
  override readonly name = "FolderLockedError";
  constructor(
    readonly dir: string,
    /** The holder's pid; undefined when its lock file could not be read (a takeover kept failing). */
    readonly pid: number | undefined,
    readonly host: string,
  ) {
    const who = pid === undefined ? "another process" : `process ${pid}`;
    const where = host === hostname() ? "" : ` on host ${host}`;
    super(
      `the data folder ${dir} is in use by ${who}${where}: one process writes a data folder at a time. Stop that process first; if it is gone and this persists, delete ${join(dir, LOCK_FILE)}`,
    );
  }
}

const LOCK_FILE = "lock";
/**
 * How often acquiring tries again while another process takes a stale lock over, and for how long:
 * longer than a guard left by a process that died mid-takeover lives (a takeover takes microseconds).
 */
const RETRY_MS = 10;
const TRIES = 300;
const STALE_GUARD_MS = 2000;

/** The locks this process holds, by lock file: a second open of one folder here is refused too. */
const held = new Map<string, string>();

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The lock file's text; undefined when there is none. */
function lockText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Who the lock's text names; undefined when it names no one (a machine crashed before it reached the disk). */
function holderIn(text: string): Holder | undefined {
  try {
    const holder = JSON.parse(text) as Holder;
    return Number.isInteger(holder.pid) && typeof holder.host === "string" ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the holder may still be running; false only when it is known to be gone. */
function alive(path: string, holder: Holder): boolean {
  // Another machine's (or container's) process cannot be looked up from here.
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return held.get(path) === holder.token;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * An exclusive hold on a data folder, so that two processes never write one folder's logs (each
 * would append over the other's records, and neither would see the other's changes). The holder's
 * pid, host and a token are in `<dir>/lock`, created atomically with its content (linked into place,
 * so no reader sees it half-written); a lock whose process is gone (same host, `kill(pid, 0)` finds
 * none) is taken over, so a crash never leaves a folder that needs clearing by hand. Node has no
 * flock without native addons; a pid on another host cannot be checked, so such a lock is refused.
 */
export class FolderLock {
  private constructor(
    private readonly path: string,
    private readonly token: string,
  ) {}

  /**
   * Hold `dir` (created if needed); FolderLockedError naming the holder when a live process has it.
   * The folder is made private (0700), and so is everything this process creates from here on
   * (privateUmask): the folder's stores write faces, key hashes and webhook secrets into it.
   */
  static acquire(dir: string): FolderLock {
    const folder = resolve(dir);
    privateFolder(folder);
    privateUmask();
    const path = join(folder, LOCK_FILE);
    const token = randomUUID();
    const mine = `${path}.${token}`;
    writeFileSync(mine, JSON.stringify({ pid: process.pid, host: hostname(), token } satisfies Holder), {
      mode: PRIVATE_FILE,
    });
    try {
      let holder: Holder | undefined;
      for (let i = 0; i < TRIES; i++) {
        try {
          linkSync(mine, path);
          held.set(path, token);
          return new FolderLock(path, token);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
        const text = lockText(path);
        // Let go meanwhile: try again.
        if (text === undefined) continue;
        holder = holderIn(text);
        if (holder && alive(path, holder)) throw new FolderLockedError(folder, holder.pid, holder.host);
        if (FolderLock.takeOver(path, mine, text)) {
          held.set(path, token);
          return new FolderLock(path, token);
        }
        sleep(RETRY_MS);
      }
      throw new FolderLockedError(folder, holder?.pid, holder?.host ?? hostname());
    } finally {
      rmSync(mine, { force: true });
    }
  }

  /**
   * Replace the stale lock whose text is `stale` with `mine`, under a guard file so that two processes
   * that both found it stale do not both take it: the second finds the lock changed (or the guard
   * there) and looks again. Six processes taking one stale lock at one moment: without the guard, two
   * of them held it. The rename replaces the lock in one step, so no third process finds it missing.
   */
  private static takeOver(path: string, mine: string, stale: string): boolean {
    const guard = `${path}.takeover`;
    try {
      closeSync(openSync(guard, "wx", PRIVATE_FILE));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      try {
        if (Date.now() - statSync(guard).mtimeMs > STALE_GUARD_MS) rmSync(guard, { force: true });
      } catch {
        // Gone meanwhile: the takeover it guarded is done.
      }
      return false;
    }
    try {
      if (lockText(path) !== stale) return false;
      renameSync(mine, path);
      return true;
    } finally {
      rmSync(guard, { force: true });
    }
  }

  /** Let the folder go (the lock file is removed only while it is still this hold's). */
  release(): void {
    if (held.get(this.path) !== this.token) return;
    held.delete(this.path);
    const text = lockText(this.path);
    if (text !== undefined && holderIn(text)?.token === this.token) rmSync(this.path, { force: true });
  }
}
