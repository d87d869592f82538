#!/usr/bin/env node
// The whole distributed stack on this machine, on loopback: `pnpm stack start` starts PostgreSQL
// (the system of record, its own cluster in data/stack/postgres), nats-server (JetStream on file
// storage), redis-server, the embedder, two matchers, an edge detector (HTTP push) and two gateways
// (REST 8080 and 8081), each a process of its own with its log in data/stack/logs; `pnpm stack stop`
// stops them; `pnpm stack status` lists them. `pnpm stack start --ha` runs NATS as a three-server
// JetStream cluster (14222-14224) with every stream at three copies: kill one to watch the rest carry on.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(process.env.FACEREC_DATA ?? join(root, "data"), "stack");
const pidFile = join(dir, "pids.json");
const ports = {
  postgres: 15432,
  nats: 14222,
  redis: 16379,
  gateway: 8080,
  grpc: 50051,
  gatewayB: 8081,
  gatewayOps: 9110,
  gatewayOpsB: 9111,
  grpcB: 50052,
  edge: 9101,
  embedder: 9102,
  matcher: 9103,
  matcherB: 9104,
};
const ha = process.argv.includes("--ha");
/** The NATS servers: one, or with --ha three routed to each other (client port n, route port n + 1000). */
const natsPorts = ha ? [ports.nats, ports.nats + 1, ports.nats + 2] : [ports.nats];
const nats = natsPorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
const redis = `redis://127.0.0.1:${ports.redis}`;
const database = `postgres://postgres@127.0.0.1:${ports.postgres}/postgres`;

/** Debian's PostgreSQL server binaries (the newest installed major version). */
function postgresBin(name) {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => join(base, v, "bin", name)).find((p) => existsSync(p));
  if (!bin) throw new Error("PostgreSQL is not installed (Debian: apt-get install postgresql)");
  return bin;
}

/** As root, PostgreSQL runs as the postgres account (initdb refuses root). */
function postgresAccount() {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("running as root, but there is no postgres account to run PostgreSQL as");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function waitForPort(port, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        if (Date.now() > deadline) reject(new Error(`nothing answered on 127.0.0.1:${port} within ${timeoutMs / 1000} s`));
        else setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}

/** Whether nothing listens on 127.0.0.1:`port` now: a server already there would be taken for ours. */
function portFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPids() {
  return existsSync(pidFile) ? JSON.parse(readFileSync(pidFile, "utf8")) : {};
}

async function start() {
  const running = Object.entries(readPids()).filter(([, pid]) => alive(pid));
  if (running.length)
    throw new Error(`the stack is already running (${running.map(([n]) => n).join(", ")}); run: pnpm stack stop`);
  for (const tool of ["nats-server", "redis-server"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
      throw new Error(`${tool} is not installed (Debian: apt-get install nats-server redis-server postgresql)`);
    }
  }
  // Every port first: a PostgreSQL (or anything) already on one would answer for the stack's own and
  // be used without a word, while ours failed to start.
  const wanted = [...Object.values(ports), ...natsPorts, ...natsPorts.map((p) => p + 1000)];
  const taken = [];
  for (const port of new Set(wanted)) if (!(await portFree(port))) taken.push(port);
  if (taken.length)
    throw new Error(
      `port${taken.length > 1 ? "s" : ""} ${taken.join(", ")} on 127.0.0.1 already in use: stop what listens there first`,
    );
  mkdirSync(join(dir, "logs"), { recursive: true });

  mkdirSync(join(dir, "redis"), { recursive: true });
  const pids = {};
  const launch = async (name, command, args, port, env = {}, account = {}) => {
    const log = openSync(join(dir, "logs", `${name}.log`), "a");
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", log, log],
      detached: true,
      ...account,
    });
    child.unref();
    pids[name] = child.pid;
    writeFileSync(pidFile, JSON.stringify(pids, null, 2));
    await waitForPort(port);
    if (!alive(child.pid)) throw new Error(`${name} exited at start: see ${join(dir, "logs", `${name}.log`)}`);
    process.stdout.write(`  ${name.padEnd(14)} pid ${child.pid}, 127.0.0.1:${port}\n`);
  };
  const node = (service) => join(root, "services", service, "dist", "main.js");
  // The key every gateway and matcher seals webhook secrets with in PostgreSQL: made once, kept with the stack.
  const keyFile = join(dir, "webhook.key");
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString("base64"), { mode: 0o600 });
  const common = {
    FACEREC_WEBHOOK_KEY: readFileSync(keyFile, "utf8"),
    NATS_URL: nats,
    REDIS_URL: redis,
    DATABASE_URL: database,
    FACEREC_DATA: join(dir, "data"),
    FACEREC_STREAM_REPLICAS: String(natsPorts.length),
  };
  process.stdout.write(`starting the stack (logs in ${join(dir, "logs")})\n`);
  const account = postgresAccount();
  const pgData = join(dir, "postgres");
  if (!existsSync(join(pgData, "PG_VERSION"))) {
    mkdirSync(pgData, { recursive: true, mode: 0o700 });
    if (account.uid !== undefined) chownSync(pgData, account.uid, account.gid);
    execFileSync(postgresBin("initdb"), ["-D", pgData, "-U", "postgres", "--auth=trust", "-E", "UTF8"], {
      stdio: "ignore",
      ...account,
    });
  }
  await launch(
    "postgres",
    postgresBin("postgres"),
    ["-D", pgData, "-p", String(ports.postgres), "-k", pgData, "-c", "listen_addresses=127.0.0.1"],
    ports.postgres,
    {},
    account,
  );
  for (const [i, port] of natsPorts.entries()) {
    const name = ha ? `nats-server-${i}` : "nats-server";
    const store = join(dir, ha ? `nats-${i}` : "nats");
    mkdirSync(store, { recursive: true });
    const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store, "--server_name", name, "-m", String(port + 2000)];
    if (ha) {
      const routes = natsPorts.filter((p) => p !== port).map((p) => `nats://127.0.0.1:${p + 1000}`);
      args.push("--cluster_name", "facerec", "--cluster", `nats://127.0.0.1:${port + 1000}`, "--routes", routes.join(","));
    }
    await launch(name, "nats-server", args, port);
  }
  // A cluster elects its JetStream leader once the routes are up: the services create streams at start.
  for (const port of natsPorts) {
    const deadline = Date.now() + 60_000;
    while (
      (await fetch(`http://127.0.0.1:${port + 2000}/healthz`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    ) {
      if (Date.now() > deadline) throw new Error(`nats-server on ${port} did not become healthy (JetStream)`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await launch(
    "redis-server",
    "redis-server",
    ["--bind", "127.0.0.1", "--port", String(ports.redis), "--dir", join(dir, "redis"), "--save", "", "--appendonly", "yes"],
    ports.redis,
  );
  await launch("embedder", process.execPath, [node("embedder")], ports.embedder, { ...common, OPS_PORT: String(ports.embedder) });
  await launch("matcher", process.execPath, [node("matcher")], ports.matcher, { ...common, OPS_PORT: String(ports.matcher) });
  await launch("matcher-b", process.execPath, [node("matcher")], ports.matcherB, {
    ...common,
    FACEREC_DATA: join(dir, "data-b"),
    OPS_PORT: String(ports.matcherB),
  });
  await launch("edge-detector", process.execPath, [node("edge-detector")], ports.edge, {
    ...common,
    OPS_PORT: String(ports.edge),
  });
  await launch("gateway", process.execPath, [node("gateway")], ports.gateway, {
    ...common,
    FACEREC_DATA: join(dir, "gateway"),
    PORT: String(ports.gateway),
    GRPC_PORT: String(ports.grpc),
    OPS_PORT: String(ports.gatewayOps),
  });
  // The second gateway starts once the first has made (or found) the bootstrap key.
  await launch("gateway-b", process.execPath, [node("gateway")], ports.gatewayB, {
    ...common,
    FACEREC_DATA: join(dir, "gateway-b"),
    PORT: String(ports.gatewayB),
    GRPC_PORT: String(ports.grpcB),
    OPS_PORT: String(ports.gatewayOpsB),
  });
  const key = /frk_[A-Za-z0-9_-]+/.exec(readFileSync(join(dir, "logs", "gateway.log"), "utf8"))?.[0];
  // The edge prints the push key it made at its first start; later starts find it in the data folder.
  const pushKey = /First start: edge push key .*\n\n {2}(\S+)/.exec(
    readFileSync(join(dir, "logs", "edge-detector.log"), "utf8"),
  )?.[1];
  process.stdout.write(
    `\nup: gateways http://127.0.0.1:${ports.gateway} and :${ports.gatewayB} (gRPC ${ports.grpc}, ${ports.grpcB}), state in ${database}, push frames to http://127.0.0.1:${ports.edge}/v1/frames?camera=<name> with Authorization: Bearer <edge push key>\n` +
      (key ? `admin key for tenant "default" (first start only): ${key}\n` : "") +
      (pushKey ? `edge push key (first start only): ${pushKey}\n` : ""),
  );
}

async function stop() {
  const pids = readPids();
  // Services first, then the servers they use.
  const order = [
    "gateway-b",
    "gateway",
    "edge-detector",
    "matcher-b",
    "matcher",
    "embedder",
    "redis-server",
    "nats-server",
    "nats-server-0",
    "nats-server-1",
    "nats-server-2",
    "postgres",
  ];
  for (const name of order) {
    const pid = pids[name];
    if (!pid || !alive(pid)) continue;
    // PostgreSQL's fast shutdown is SIGINT (SIGTERM waits for every client to leave).
    process.kill(pid, name === "postgres" ? "SIGINT" : "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, "SIGKILL");
    process.stdout.write(`  stopped ${name}\n`);
  }
  rmSync(pidFile, { force: true });
}

function status() {
  const pids = readPids();
  if (Object.keys(pids).length === 0) process.stdout.write("the stack is not running\n");
  for (const [name, pid] of Object.entries(pids))
    process.stdout.write(`  ${name.padEnd(14)} pid ${pid} ${alive(pid) ? "running" : "gone"}\n`);
}

const command = process.argv[2];
const actions = { start, stop, status };
if (!actions[command]) {
  process.stderr.write("usage: pnpm stack start [--ha]|stop|status\n");
  process.exit(64);
}
try {
  await actions[command]();
} catch (error) {
  process.stderr.write(`stack ${command}: ${error.message}\n`);
  if (command === "start") await stop();
  process.exit(1);
}
