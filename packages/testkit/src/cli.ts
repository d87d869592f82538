import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./paths.js";

const run = promisify(execFile);
export const cli = join(repoRoot, "packages", "cli", "dist", "main.js");

type Outcome = { stdout: string; stderr: string; code: number };

/** Run the built `facerec` command as a user would; a failing run resolves with its exit code too. */
export function facerec(...args: string[]): Promise<Outcome> {
  return facerecWith({}, ...args);
}

/** `facerec` with variables added to its environment (DATABASE_URL, say). */
export async function facerecWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      maxBuffer: 32 * 1024 * 1024,
      env: { ...process.env, ...env },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
