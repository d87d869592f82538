import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as createTcpServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type HttpReceiver, httpReceiver } from "@facerec/testkit/servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addressClass,
  DELIVERY_FAILED,
  DestinationError,
  DestinationPolicy,
  FileWebhookStore,
  type Resolver,
  type Webhook,
  WebhookDispatcher,
} from "../src/index.js";
import { hook as webhookOf } from "./fixtures.js";

describe("address classes", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.3.4", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["::ffff:10.0.0.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["169.254.169.254", "link-local"],
    ["::ffff:169.254.169.254", "link-local"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::7f00:1", "reserved"],
  ])("%s is %s", (address, kind) => {
    expect(addressClass(address)).toBe(kind);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "172.15.255.255",
    "100.128.0.1",
    "169.255.0.1",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
  ])("%s is public", (address) => {
    expect(addressClass(address)).toBeUndefined();
  });
});

describe("the destination policy", () => {
  const refusal = (policy: DestinationPolicy, url: string) =>
    policy.check(url).then(
      () => undefined,
      (e: DestinationError) => e,
    );

  it("refuses internal literals and names that resolve to them, naming the class and not the address", async () => {
    const policy = new DestinationPolicy();
    for (const [url, kind] of [
      ["http://127.0.0.1:9100/metrics", "loopback"],
      ["http://[::1]/", "loopback"],
      ["http://169.254.169.254/latest/meta-data/", "link-local"],
      ["http://0.0.0.0/", "unspecified"],
      ["http://10.0.0.1/", "private"],
      ["http://[::ffff:169.254.169.254]/", "link-local"],
      // The URL parser reads these as 127.0.0.1.
      ["http://2130706433/", "loopback"],
      ["http://0x7f.1/", "loopback"],
    ] as const) {
      const error = await refusal(policy, url);
      expect(error, url).toBeInstanceOf(DestinationError);
      expect(error?.refused, url).toBe(true);
      expect(error?.message, url).toContain(`in the ${kind} range`);
    }
    // Resolved through the system's resolver (/etc/hosts): the name's address class, not the address.
    const localhost = await refusal(policy, "http://localhost:9100/metrics");
    expect(localhost?.message).toMatch(/^localhost resolves to an address in the loopback range/);
    expect(localhost?.message).not.toContain("127.0.0.1");
    // A name with one public and one internal address is refused: every address must pass.
    const mixed = new DestinationPolicy({
      resolve: async () => [
        { address: "93.184.215.14", family: 4 },
        { address: "10.1.2.3", family: 4 },
      ],
    });
    expect((await refusal(mixed, "https://mixed.test/"))?.message).toContain("private range");
    const unresolved = await refusal(policy, `http://${randomUUID()}.invalid/`);
    expect([unresolved?.refused, unresolved?.message]).toEqual([false, expect.stringMatching(/could not be resolved/)]);
  });

  it("allows what the operator's list holds: ranges (mapped forms included), addresses and host names", async () => {
    const policy = new DestinationPolicy({ allow: " 127.0.0.1/32, 10.1.2.0/24,fd00::1, receiver.local " });
    for (const url of ["http://127.0.0.1:8080/", "http://[::ffff:127.0.0.1]/", "http://10.1.2.200/", "http://[fd00::1]/"])
      expect((await policy.check(url)).addresses.length, url).toBe(1);
    for (const url of ["http://127.0.0.2/", "http://10.1.3.1/", "http://[::1]/", "http://[fd00::2]/"])
      expect((await refusal(policy, url))?.refused, url).toBe(true);
    const named = new DestinationPolicy({
      allow: "receiver.local",
      resolve: async () => [{ address: "192.168.7.7", family: 4 }],
    });
    expect((await named.check("http://receiver.local/hook")).addresses).toEqual([{ address: "192.168.7.7", family: 4 }]);
    // Only that name: another resolving to the same address is still refused.
    expect((await refusal(named, "http://other.local/hook"))?.refused).toBe(true);
    expect(DestinationPolicy.fromEnv({ FACEREC_WEBHOOK_ALLOW: "127.0.0.0/8" })).toBeInstanceOf(DestinationPolicy);
    for (const bad of ["10.0.0.0/33", "not a host", "1.2.3.4/x"])
      expect(() => new DestinationPolicy({ allow: bad }), bad).toThrow(/FACEREC_WEBHOOK_ALLOW/);
  });
});

const loopback = () => new DestinationPolicy({ allow: "127.0.0.1/32" });
const job = (h: Webhook) => ({ webhookId: h.id, tenant: "acme", deliveryId: randomUUID(), eventId: "e1", body: "{}" });

describe("deliveries through the destination policy, to real servers on loopback", () => {
  let receiver: HttpReceiver;
  const servers: Server[] = [];
  beforeAll(async () => {
    receiver = await httpReceiver();
  });
  afterAll(async () => {
    await receiver?.stop();
    for (const s of servers) s.close();
  });
  const store = () => FileWebhookStore.open(mkdtempSync(join(tmpdir(), "webhook-destinations-")));
  const listening = async (server: Server) => {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  };

  it("delivers to an allowed receiver; refuses it at delivery time once the allow-list no longer holds it, without retrying", async () => {
    const webhooks = store();
    const h = webhookOf("acme", receiver.url);
    await webhooks.insert(h);
    const allowed = new WebhookDispatcher(webhooks, undefined, { destinations: loopback() });
    const before = receiver.requests.length;
    await allowed.attempt(job(h), 1);
    expect(receiver.requests.length).toBe(before + 1);
    // The operator removes loopback from the list; a new process (dispatcher) reads it at start.
    const refusing = new WebhookDispatcher(webhooks, undefined, { destinations: new DestinationPolicy() });
    await refusing.queue.add(job(h));
    await refusing.queue.close();
    expect(receiver.requests.length).toBe(before + 1);
    const [last, ...earlier] = await webhooks.attempts("acme", h.id, 10);
    expect(earlier).toHaveLength(1);
    expect(last).toMatchObject({ attempt: 1, delivered: false });
    expect(last?.status).toBeUndefined();
    expect(last?.error).toMatch(/^refused: 127\.0\.0\.1 is an address in the loopback range/);
    expect([refusing.refused, refusing.failed, refusing.delivered]).toEqual([1, 0, 0]);
    await webhooks.close();
  });

  it("connects to the address it checked: a name is resolved once per attempt and never again by the connection", async () => {
    const webhooks = store();
    const port = Number(new URL(receiver.url).port);
    // No DNS knows rebind.test: the delivery arrives only if the connection took the checked address.
    const h = webhookOf("acme", `http://rebind.test:${port}/hook`);
    await webhooks.insert(h);
    const answers = ["127.0.0.1", "169.254.169.254"];
    const asked: string[] = [];
    const resolve: Resolver = async (host) => {
      asked.push(host);
      return [{ address: answers.shift() ?? "169.254.169.254", family: 4 }];
    };
    const dispatcher = new WebhookDispatcher(webhooks, undefined, {
      destinations: new DestinationPolicy({ allow: "127.0.0.1/32", resolve }),
    });
    const before = receiver.requests.length;
    await dispatcher.attempt(job(h), 1);
    expect(receiver.requests.length).toBe(before + 1);
    expect(receiver.requests.at(-1)?.headers.host).toBe(`rebind.test:${port}`);
    // The name now points at the metadata service: the next attempt checks again and is refused.
    await dispatcher.attempt(job(h), 2);
    expect(receiver.requests.length).toBe(before + 1);
    expect(asked).toEqual(["rebind.test", "rebind.test"]);
    expect((await webhooks.attempts("acme", h.id, 1))[0]?.error).toMatch(
      /^refused: rebind\.test resolves to an address in the link-local range/,
    );
    await webhooks.close();
  });

  it("logs a closed port, a silent one and one that speaks no HTTP alike, and follows no redirect", async () => {
    const closed = await freePort();
    const silent = await listening(createTcpServer(() => {}));
    const garbled = await listening(createTcpServer((socket) => socket.end("SSH-2.0-OpenSSH_9.6\r\n")));
    const redirecting = await listening(
      createHttpServer((_req, res) => {
        res.writeHead(302, { location: receiver.url }).end();
      }),
    );
    const webhooks = store();
    const dispatcher = new WebhookDispatcher(webhooks, undefined, { destinations: loopback(), timeoutMs: 500 });
    const errors: (string | undefined)[] = [];
    for (const port of [closed, silent, garbled]) {
      const h = webhookOf("acme", `http://127.0.0.1:${port}/`);
      await webhooks.insert(h);
      dispatcher.changed("acme");
      await expect(dispatcher.attempt(job(h), 1)).rejects.toThrow(DELIVERY_FAILED);
      errors.push((await webhooks.attempts("acme", h.id, 1))[0]?.error);
    }
    expect(errors).toEqual([DELIVERY_FAILED, DELIVERY_FAILED, DELIVERY_FAILED]);
    const before = receiver.requests.length;
    const moved = webhookOf("acme", `http://127.0.0.1:${redirecting}/`);
    await webhooks.insert(moved);
    dispatcher.changed("acme");
    await expect(dispatcher.attempt(job(moved), 1)).rejects.toThrow("the receiver answered 302");
    expect(receiver.requests.length).toBe(before);
    await webhooks.close();
  });
});
