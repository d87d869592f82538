import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe } from "vitest";
import { shared } from "./paths.js";
import { createDatabase, postgresServer, type ServerProcess } from "./servers.js";

export { cli, facerec, facerecWith } from "./cli.js";
export { gaussianNoise } from "./noise.js";
export { LFW, nuaaShots, repoRoot, shared, sharedBytes } from "./paths.js";
export { pngBomb } from "./png-bomb.js";

const warned = new Set<string>();

/**
 * `describe` for suites that read ../shared: where it is absent the suite is skipped and one line says why.
 * Nothing else in the test suite skips.
 */
export function describeWithShared(name: string, fn: () => void, needs: string[] = ["data"]): void {
  const missing = needs.map((n) => shared(n)).find((p) => !existsSync(p));
  if (missing && !warned.has(missing)) {
    warned.add(missing);
    console.warn(`skipping suites that need ${missing}: it does not exist (set FACEREC_SHARED to the shared folder)`);
  }
  (missing ? describe.skip : describe)(name, fn);
}

/**
 * A PostgreSQL server for one test file: started before its tests and stopped after them, once what
 * the tests handed to `closeAfter` (connections, stores) is closed. `database()` is a fresh database.
 */
export function postgresForTests(): {
  database(): string;
  closeAfter<T extends { close(): Promise<void> }>(handle: T): T;
} {
  let pg: (ServerProcess & { url: string }) | undefined;
  const handles: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    pg = await postgresServer();
  });
  afterAll(async () => {
    for (const h of handles) await h.close();
    await pg?.stop();
  });
  return {
    database: () => createDatabase((pg as { url: string }).url),
    closeAfter: (handle) => {
      handles.push(handle);
      return handle;
    },
  };
}
