import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordLog } from "@facerec/storage";
import { describeWithShared, facerec } from "@facerec/testkit";
import { embeddedGateway } from "@facerec/testkit/servers";
import { beforeAll, expect, it } from "vitest";

/**
 * The embedded product's state files with a bit flipped in the middle: the start refuses with a message
 * naming the file and offset, `facerec repair` keeps every record that verifies, and the product then
 * starts with exactly those.
 */
let data: string;
let admin: string;
const keys: string[] = [];
const subjects: string[] = [];

async function call(url: string, method: string, path: string, key: string, body?: unknown) {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { "x-api-key": key, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** A copy of the product's folder with one bit flipped inside the `index`th record of `file`. */
function damagedCopy(file: string, index: number): { dir: string; offset: number } {
  const dir = mkdtempSync(join(tmpdir(), "damaged-"));
  cpSync(data, dir, { recursive: true });
  const path = join(dir, file);
  const offsets: number[] = [];
  RecordLog.read(path, (_, offset) => offsets.push(offset));
  const offset = offsets[index] as number;
  const bytes = readFileSync(path);
  bytes[offset + 12] = (bytes[offset + 12] as number) ^ 0x04;
  writeFileSync(path, bytes);
  return { dir, offset };
}

/** Start on `dir` and expect the refusal: exit code 2, the file and offset named, no stack trace. */
async function refusedStart(dir: string, file: string, offset: number): Promise<void> {
  const failure = await embeddedGateway(dir).then(
    async (gw) => {
      await gw.stop();
      return "it started";
    },
    (error: Error) => error.message,
  );
  expect(failure).toMatch(/exited with 2/);
  expect(failure).toContain(`cannot start: ${join(dir, file)} is damaged at byte ${offset}`);
  expect(failure).toContain("facerec repair");
  expect(failure).not.toMatch(/\n\s+at /);
}

async function repaired(dir: string, file: string) {
  const r = await facerec("repair", "--data", dir);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as { repaired: number; logs: { file: string; state: string; kept?: number }[] };
  expect(report.repaired).toBe(1);
  return report.logs.find((l) => l.file === join(dir, file));
}

describeWithShared("damaged state files in embedded mode", () => {
  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), "durable-"));
    const gw = await embeddedGateway(data);
    admin = /(frk_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/.exec(gw.output)?.[1] as string;
    for (const name of ["ada", "bob", "cy"]) {
      subjects.push((await call(gw.url, "POST", "/v1/subjects", admin, { name })).json.id as string);
    }
    for (const name of ["kiosk", "door"]) {
      keys.push((await call(gw.url, "POST", "/v1/keys", admin, { name, scopes: ["recognise"] })).json.key as string);
    }
    expect(await gw.stop()).toBe(0);
  });

  it("gallery.log: refuses to start, then keeps the subjects that verify", async () => {
    const file = join("gallery", "gallery.log");
    const { dir, offset } = damagedCopy(file, 1);
    await refusedStart(dir, file, offset);
    expect(await repaired(dir, file)).toMatchObject({ state: "repaired", kept: 2 });
    const gw = await embeddedGateway(dir);
    const listed = (await call(gw.url, "GET", "/v1/subjects", admin)).json.subjects as { id: string }[];
    expect(listed.map((s) => s.id).sort()).toEqual([subjects[0], subjects[2]].sort());
    expect(await gw.stop()).toBe(0);
  });

  it("keys.log: refuses to start (it never mints a new admin key over damage), then keeps the keys that verify", async () => {
    const file = join("keys", "keys.log");
    const { dir, offset } = damagedCopy(file, 1);
    await refusedStart(dir, file, offset);
    expect(await repaired(dir, file)).toMatchObject({ state: "repaired", kept: 2 });
    const gw = await embeddedGateway(dir);
    expect(gw.output).not.toContain("First start");
    expect((await call(gw.url, "GET", "/v1/subjects", admin)).status).toBe(200);
    expect((await call(gw.url, "GET", "/v1/subjects", keys[0] as string)).status).toBe(401);
    expect((await call(gw.url, "GET", "/v1/subjects", keys[1] as string)).status).toBe(200);
    expect(await gw.stop()).toBe(0);
  });

  it("audit.log: refuses to start, then keeps the entries that verify and reports the gap in the chain", async () => {
    const file = join("audit", "audit.log");
    const { dir, offset } = damagedCopy(file, 2);
    await refusedStart(dir, file, offset);
    const before = (await facerec("audit", "verify", "--data", dir)).stdout;
    expect(JSON.parse(before)).toMatchObject({ intact: false });
    expect(await repaired(dir, file)).toMatchObject({ state: "repaired" });
    const gw = await embeddedGateway(dir);
    expect((await call(gw.url, "GET", "/v1/subjects", admin)).status).toBe(200);
    const verified = (await call(gw.url, "GET", "/v1/audit/verify", admin)).json;
    expect(verified).toMatchObject({ intact: false, firstBroken: 3 });
    expect(await gw.stop()).toBe(0);
  });
});

describeWithShared("a full disk in embedded mode", () => {
  it("takes the gateway out of readiness and refuses changes with 503, changing nothing; it recovers when space returns", async () => {
    const dir = mkdtempSync(join(tmpdir(), "full-disk-"));
    // Root mounts a 4 MiB filesystem and fills it; anyone else makes the audit folder read-only.
    const root = process.getuid?.() === 0;
    if (root) execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", dir]);
    try {
      const gw = await embeddedGateway(dir);
      const key = /(frk_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/.exec(gw.output)?.[1] as string;
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
      expect((await call(gw.url, "POST", "/v1/subjects", key, { name: "before" })).status).toBe(201);
      const filler = join(dir, "filler");
      if (root) {
        try {
          execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=64k"], { stdio: "ignore" });
        } catch {
          // dd stops with ENOSPC: the disk is full, as wanted
        }
      } else chmodSync(join(dir, "audit"), 0o555);
      // Readiness is checked at most once a second.
      await new Promise((r) => setTimeout(r, 1100));
      const ready = await fetch(`${gw.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { reason: string }).reason).toMatch(/bytes free|not writable/);
      const refused = await call(gw.url, "POST", "/v1/subjects", key, { name: "during" });
      expect(refused.status).toBe(503);
      expect(refused.json.message).toMatch(/audit trail cannot be written/);
      if (root) rmSync(filler);
      else chmodSync(join(dir, "audit"), 0o755);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
      expect((await call(gw.url, "POST", "/v1/subjects", key, { name: "after" })).status).toBe(201);
      const names = ((await call(gw.url, "GET", "/v1/subjects", key)).json.subjects as { name: string }[]).map((x) => x.name);
      expect(names.sort()).toEqual(["after", "before"]);
      expect(await gw.stop()).toBe(0);
    } finally {
      if (root) execFileSync("umount", [dir]);
    }
  });
});
