import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FolderLock, FolderLockedError } from "../src/index.js";

const child = join(import.meta.dirname, "fixtures", "lock-child.mjs");
const fresh = () => mkdtempSync(join(tmpdir(), "folder-lock-"));

/** Another process tries to take `dir` and lets it go at once: what it printed. */
const tryInAnotherProcess = (dir: string): string => execFileSync(process.execPath, [child, "try", dir]).toString().trim();

/** Another process takes `dir` and keeps it: the process, once it holds the folder. */
function holdInAnotherProcess(dir: string): Promise<ReturnType<typeof spawn>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, "hold", dir], { stdio: ["ignore", "pipe", "inherit"] });
    p.stdout.once("data", (chunk: Buffer) => (chunk.toString().startsWith("held") ? resolve(p) : reject(new Error(`${chunk}`))));
    p.once("exit", (code) => reject(new Error(`the holder exited with ${code}`)));
  });
}

const killed = (p: ReturnType<typeof spawn>) =>
  new Promise<void>((resolve) => {
    p.once("exit", () => resolve());
    p.kill("SIGKILL");
  });

describe("folder lock", () => {
  it("refuses another process while this one holds the folder, naming the folder and this pid; lets it in once released", () => {
    const dir = fresh();
    const lock = FolderLock.acquire(dir);
    const refused = tryInAnotherProcess(dir);
    expect(refused).toContain(`refused the data folder ${dir} is in use by process ${process.pid}`);
    lock.release();
    expect(existsSync(join(dir, "lock"))).toBe(false);
    expect(tryInAnotherProcess(dir)).toBe("held");
    // Nothing is left behind: no lock, no file of an attempt.
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses this process while another holds the folder, and takes the lock over once that process died holding it", async () => {
    const dir = fresh();
    const holder = await holdInAnotherProcess(dir);
    let error: unknown;
    try {
      FolderLock.acquire(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FolderLockedError);
    expect(error).toMatchObject({ dir, pid: holder.pid });
    // SIGKILL: no release; its lock file stays, naming a pid that no longer runs.
    await killed(holder);
    expect(JSON.parse(readFileSync(join(dir, "lock"), "utf8")).pid).toBe(holder.pid);
    const lock = FolderLock.acquire(dir);
    expect(JSON.parse(readFileSync(join(dir, "lock"), "utf8")).pid).toBe(process.pid);
    expect(tryInAnotherProcess(dir)).toContain(`in use by process ${process.pid}`);
    lock.release();
  });

  it("lets exactly one of several processes take over a stale lock at once", async () => {
    const dir = fresh();
    const gone = spawnSync(process.execPath, ["-e", ""]).pid as number;
    writeFileSync(join(dir, "lock"), JSON.stringify({ pid: gone, host: hostname(), token: "stale" }));
    // All at one moment, once every process has started.
    const at = String(Date.now() + 2000);
    const racers = Array.from({ length: 6 }, () =>
      spawn(process.execPath, [child, "hold", dir, at], { stdio: ["ignore", "pipe", "inherit"] }),
    );
    const said = await Promise.all(
      racers.map((p) => new Promise<string>((resolve) => p.stdout?.once("data", (chunk: Buffer) => resolve(chunk.toString())))),
    );
    expect(said.filter((line) => line.startsWith("held"))).toHaveLength(1);
    expect(said.filter((line) => line.startsWith("refused"))).toHaveLength(5);
    await Promise.all(racers.map((p) => (p.exitCode === null ? killed(p) : undefined)));
  });

  it("refuses a second hold within this process, but takes over a lock an earlier process with this pid left", () => {
    const dir = fresh();
    const lock = FolderLock.acquire(dir);
    expect(() => FolderLock.acquire(dir)).toThrow(FolderLockedError);
    lock.release();
    // What a container's pid 1 left before the container restarted: the same pid, another token.
    writeFileSync(join(dir, "lock"), JSON.stringify({ pid: process.pid, host: hostname(), token: "earlier" }));
    FolderLock.acquire(dir).release();
  });

  it("refuses a lock held on another host, whose process cannot be looked up from here", () => {
    const dir = fresh();
    writeFileSync(join(dir, "lock"), JSON.stringify({ pid: 4242, host: "elsewhere", token: "t" }));
    expect(() => FolderLock.acquire(dir)).toThrow(`in use by process 4242 on host elsewhere`);
  });
});
