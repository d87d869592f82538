import { chmodSync, fchmodSync, fstatSync, mkdirSync, statSync } from "node:fs";
import { isMainThread } from "node:worker_threads";

/**
 * State files hold faces, API key hashes, the audit trail and webhook secrets: they are the owner's
 * alone, 0600, in folders of 0700. A mode given when a file or folder is created can only be narrowed
 * by the umask, never widened, so these hold whatever the umask is.
 */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_FOLDER = 0o700;

/** Group and other permission bits. */
const SHARED_BITS = 0o077;

/**
 * Whether a file or folder with this owner and mode needs its group and other access taken away by
 * this process: only its owner may change its mode, and one that another user owns but lets this
 * process write is that user's to restrict.
 */
const restrictable = (uid: number, mode: number) => (mode & SHARED_BITS) !== 0 && uid === process.getuid?.();

/**
 * Create `dir` (with any missing parents) private, and take group and other access away from it when
 * it was there already: made by an earlier version, or by code that creates folders with the default
 * mode before its store opens them.
 */
export function privateFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_FOLDER });
  const { uid, mode } = statSync(dir);
  if (restrictable(uid, mode)) chmodSync(dir, mode & ~SHARED_BITS & 0o7777);
}

/**
 * Take group and other access away from an open regular file: one an earlier version created 0644,
 * or a leftover that opening with "w" truncated but kept the mode of. Devices and the like are left
 * as they are.
 */
export function restrictOpenFile(fd: number): void {
  const stat = fstatSync(fd);
  if (stat.isFile() && restrictable(stat.uid, stat.mode)) fchmodSync(fd, stat.mode & ~SHARED_BITS & 0o7777);
}

/**
 * From now on, have every file and folder this process creates private, whatever mode its creator
 * asks for. The holder of a data folder calls it, so that stores which create files and folders
 * without a mode (the gallery's graphs and crops, say) write them private too. The umask is the
 * process's; worker threads cannot set it, and there the modes given explicitly are what applies.
 */
export function privateUmask(): void {
  if (!isMainThread) return;
  // process.umask() without an argument (to read it) is deprecated: set, then add what was there.
  const previous = process.umask(SHARED_BITS);
  process.umask(previous | SHARED_BITS);
}
