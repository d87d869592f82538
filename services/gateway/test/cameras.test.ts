import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MatchEvent } from "@facerec/contracts";
import { type Gateway, openGateway } from "@facerec/operations";
import { describeWithShared } from "@facerec/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Json, restCaller, serveOnLoopback } from "./clients.js";
import { knn } from "./scenarios.js";

let data: string;
let gateway: Gateway;
let base: string;
let close: () => Promise<void>;
let admin: string;
const call = restCaller(() => base);
const photo = () => readFileSync(knn("test", "obama1.jpg")).toString("base64");

describeWithShared("keys bound to cameras: a camera's rules for the keys that speak for it, labels for the rest", () => {
  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), "cameras-"));
    // The archive's stored photos are judged without liveness: a rule for that camera, not for anyone naming it.
    gateway = await openGateway(data, { env: { ...process.env, FACEREC_LIVENESS_CAMERAS: "archive=off" } });
    admin = (await gateway.keys.create("acme", "admin", ["admin"])).key;
    ({ base, close } = await serveOnLoopback(gateway));
  });
  afterAll(async () => {
    await close?.();
    rmSync(data, { recursive: true, force: true });
  });

  it("decides a bound key's faces under its camera's rules and reports them as the camera's; an unbound key's as the API's", async () => {
    const made = await call("POST", "/v1/keys", admin, { name: "archive scanner", scopes: ["recognise"], cameras: ["archive"] });
    expect(made.status).toBe(201);
    expect(made.json.record.cameras).toEqual(["archive"]);
    const bound = made.json.key as string;
    const unbound = (await call("POST", "/v1/keys", admin, { name: "kiosk", scopes: ["recognise"] })).json.key as string;
    const kiosk = await gateway.keys.authenticate(unbound);

    const events: MatchEvent[] = [];
    const watcher = await gateway.keys.authenticate(admin);
    const stop = await gateway.recognition.watchMatches(watcher, [], (e) => events.push(e));
    try {
      // The bound key: its camera by default, its camera's liveness rule, the camera as the source.
      const scanned = await call("POST", "/v1/identify", bound, { image: photo() });
      expect(scanned.json.liveness).toBe("off");
      // An unbound key naming that camera gets the deployment's rule, not the camera's, and asking
      // for the looser one itself is refused as before.
      const claimed = await call("POST", "/v1/identify", unbound, { image: photo(), camera: "archive" });
      expect(claimed.json.liveness).toBe("required");
      expect((await call("POST", "/v1/identify", unbound, { image: photo(), camera: "archive", liveness: "off" })).status).toBe(
        403,
      );
      // A bound key speaks for its cameras only.
      const elsewhere = await call("POST", "/v1/identify", bound, { image: photo(), camera: "lobby" });
      expect([elsewhere.status, elsewhere.json.message]).toEqual([403, "this key is bound to camera archive, not lobby"]);

      await expect.poll(() => events.length).toBeGreaterThanOrEqual(2);
      expect(events.map((e) => [e.camera, e.source])).toEqual([
        ["archive", "camera"],
        ["archive", `api:${kiosk.keyId}`],
      ]);
    } finally {
      stop();
    }
    // The key list shows the binding.
    const listed = (await call("GET", "/v1/keys", admin)).json.keys as Json[];
    expect(listed.find((k) => k.name === "archive scanner")?.cameras).toEqual(["archive"]);
  });
});
