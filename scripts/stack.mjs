#!/usr/bin/env node
// The whole distributed stack on this machine, on loopback: `pnpm stack start` starts nats-server
// (JetStream on file storage), redis-server, the embedder, the matcher, an edge detector (HTTP push)
// and the gateway, each a process of its own with its log in data/stack/logs; `pnpm stack stop`
// stops them; `pnpm stack status` lists them.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(process.env.FACEREC_DATA ?? join(root, "data"), "stack");
const pidFile = join(dir, "pids.json");
const ports = { nats: 14222, redis: 16379, gateway: 8080, grpc: 50051, edge: 9101, embedder: 9102, matcher: 9103 };
const nats = `nats://127.0.0.1:${ports.nats}`;
const redis = `redis://127.0.0.1:${ports.redis}`;

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
      throw new Error(`${tool} is not installed (Debian: apt-get install nats-server redis-server)`);
    }
  }
  mkdirSync(join(dir, "logs"), { recursive: true });
  mkdirSync(join(dir, "nats"), { recursive: true });
  mkdirSync(join(dir, "redis"), { recursive: true });
  const pids = {};
  const launch = async (name, command, args, port, env = {}) => {
    const log = openSync(join(dir, "logs", `${name}.log`), "a");
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", log, log], detached: true });
    child.unref();
    pids[name] = child.pid;
    writeFileSync(pidFile, JSON.stringify(pids, null, 2));
    await waitForPort(port);
    process.stdout.write(`  ${name.padEnd(14)} pid ${child.pid}, 127.0.0.1:${port}\n`);
  };
  const node = (service) => join(root, "services", service, "dist", "main.js");
  const common = { NATS_URL: nats, REDIS_URL: redis, FACEREC_DATA: join(dir, "data") };
  process.stdout.write(`starting the stack (logs in ${join(dir, "logs")})\n`);
  await launch(
    "nats-server",
    "nats-server",
    ["-a", "127.0.0.1", "-p", String(ports.nats), "-js", "-sd", join(dir, "nats")],
    ports.nats,
  );
  await launch(
    "redis-server",
    "redis-server",
    ["--bind", "127.0.0.1", "--port", String(ports.redis), "--dir", join(dir, "redis"), "--save", "", "--appendonly", "yes"],
    ports.redis,
  );
  await launch("embedder", process.execPath, [node("embedder")], ports.embedder, { ...common, OPS_PORT: String(ports.embedder) });
  await launch("matcher", process.execPath, [node("matcher")], ports.matcher, { ...common, OPS_PORT: String(ports.matcher) });
  await launch("edge-detector", process.execPath, [node("edge-detector")], ports.edge, {
    ...common,
    OPS_PORT: String(ports.edge),
  });
  await launch("gateway", process.execPath, [node("gateway")], ports.gateway, {
    ...common,
    FACEREC_DATA: join(dir, "gateway"),
    PORT: String(ports.gateway),
    GRPC_PORT: String(ports.grpc),
  });
  const key = /frk_[A-Za-z0-9_-]+/.exec(readFileSync(join(dir, "logs", "gateway.log"), "utf8"))?.[0];
  process.stdout.write(
    `\nup: gateway http://127.0.0.1:${ports.gateway} (gRPC ${ports.grpc}), push frames to http://127.0.0.1:${ports.edge}/v1/frames?camera=<name>\n` +
      (key ? `admin key for tenant "default" (first start only): ${key}\n` : ""),
  );
}

async function stop() {
  const pids = readPids();
  // Services first, then the servers they use.
  for (const name of ["gateway", "edge-detector", "matcher", "embedder", "redis-server", "nats-server"]) {
    const pid = pids[name];
    if (!pid || !alive(pid)) continue;
    process.kill(pid, "SIGTERM");
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
  process.stderr.write("usage: pnpm stack start|stop|status\n");
  process.exit(64);
}
try {
  await actions[command]();
} catch (error) {
  process.stderr.write(`stack ${command}: ${error.message}\n`);
  if (command === "start") await stop();
  process.exit(1);
}
