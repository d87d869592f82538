import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "@facerec/storage";
import { postgresForTests } from "@facerec/testkit";
import { describe, expect, it } from "vitest";
import {
  checkPolicy,
  DEFAULT_TENANT_POLICY,
  FilePolicyStore,
  PgPolicyStore,
  PolicyError,
  type PolicyStore,
} from "../src/index.js";

const pg = postgresForTests();

const strict = checkPolicy({ consent: { required: true }, retention: { templatesDays: 90 }, contact: "dpo@acme.example" });

/** Two handles on one store: the folder reopened, or a second connection to the database. */
const adapters: [string, () => Promise<{ a: PolicyStore; b: () => Promise<PolicyStore> }>][] = [
  [
    "local files",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "policy-"));
      const a = FilePolicyStore.open(dir);
      return {
        a,
        b: async () => {
          await a.close();
          return FilePolicyStore.open(dir);
        },
      };
    },
  ],
  [
    "PostgreSQL",
    async () => {
      const url = pg.database();
      const db = pg.closeAfter(await Database.connect(url));
      const other = pg.closeAfter(await Database.connect(url));
      return { a: new PgPolicyStore(db), b: async () => new PgPolicyStore(other) };
    },
  ],
];

for (const [name, open] of adapters) {
  describe(`policy store on ${name}`, () => {
    it("starts at the default, numbers each change, keeps the history and tenants apart", async () => {
      const { a, b } = await open();
      expect(await a.current("acme")).toMatchObject({ version: 0, policy: DEFAULT_TENANT_POLICY });
      const first = await a.set("acme", strict, "key-1", new Date("2026-12-01T00:00:00Z"));
      expect(first).toMatchObject({ tenant: "acme", version: 1, setBy: "key-1", setAt: "2026-12-01T00:00:00.000Z" });
      await a.set("acme", { ...strict, contact: "privacy@acme.example" }, "key-2");
      await a.set("globex", DEFAULT_TENANT_POLICY, "key-3");
      const other = await b();
      expect((await other.current("acme")).policy.contact).toBe("privacy@acme.example");
      expect((await other.history("acme")).map((v) => [v.version, v.setBy])).toEqual([
        [2, "key-2"],
        [1, "key-1"],
      ]);
      expect((await other.all()).map((v) => [v.tenant, v.version]).sort()).toEqual([
        ["acme", 2],
        ["globex", 1],
      ]);
      expect(await other.history("initech")).toEqual([]);
    });
  });
}

describe("policy store on PostgreSQL, two gateways setting at once", () => {
  it("gives every change a version of its own", async () => {
    const url = pg.database();
    const [d1, d2] = [pg.closeAfter(await Database.connect(url)), pg.closeAfter(await Database.connect(url))];
    const [s1, s2] = [new PgPolicyStore(d1), new PgPolicyStore(d2)];
    const set = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? s1 : s2).set("acme", strict, `key-${i}`)));
    expect(set.map((v) => v.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("checking a policy", () => {
  it("fills what is left out from the defaults and names the field that is wrong", () => {
    expect(checkPolicy({})).toEqual(DEFAULT_TENANT_POLICY);
    expect(checkPolicy({ consent: { required: true } }).consent).toEqual({ required: true, noticeVersion: "1" });
    expect(() => checkPolicy({ retention: { templatesDays: 1.5 } })).toThrow(/retention\.templatesDays/);
    expect(() => checkPolicy({ consent: { required: "yes" } })).toThrow(PolicyError);
    expect(() => checkPolicy({ consent: { noticeVersion: "v 2!" } })).toThrow(/noticeVersion/);
    expect(() => checkPolicy({ contact: "x".repeat(501) })).toThrow(/contact/);
    expect(() => checkPolicy(null)).toThrow(/object/);
  });
});
