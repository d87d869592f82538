import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

/**
 * Ports this process has handed out: the kernel may give a just-released port again, and two ports
 * asked for in a row (a REST and a gRPC port) must differ, or the second bind fails by chance.
 */
const handedOut = new Set<number>();

/** A free TCP port on loopback, as the kernel hands one out, never one this process handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Resolve once something accepts TCP connections on the port, or fail after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A server process the tests own: stop it, kill it, start it again on the same port and storage. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  output = "";

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly options: { uid?: number; gid?: number; stopSignal?: NodeJS.Signals } = {},
  ) {}

  async start(readyPort = this.port): Promise<void> {
    const child = spawn(this.command, this.args, {
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(this.options.uid !== undefined ? { uid: this.options.uid, gid: this.options.gid } : {}),
    });
    this.child = child;
    const keep = (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-20_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const failed = new Promise<never>((_, reject) => {
      child.once("exit", (code, signal) =>
        reject(new Error(`${this.name} exited (${code ?? signal}) before it was ready:\n${this.output}`)),
      );
      child.once("error", reject);
    });
    await Promise.race([waitForPort(readyPort, 60_000), failed]);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Kill without warning (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** Ask it to stop (SIGTERM, or the server's own fast-shutdown signal) and wait for it to exit. */
  async stop(): Promise<void> {
    await this.signal(this.options.stopSignal ?? "SIGTERM");
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }
}

/** nats-server with JetStream on file storage in a fresh folder, on a free loopback port. */
export async function natsServer(
  options: { user?: string; pass?: string; tls?: { certFile: string; keyFile: string } } = {},
): Promise<ServerProcess & { url: string }> {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), "nats-js-"));
  const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store];
  if (options.user) args.push("--user", options.user, "--pass", options.pass ?? "");
  if (options.tls) args.push("--tls", "--tlscert", options.tls.certFile, "--tlskey", options.tls.keyFile);
  const server = new ServerProcess("nats-server", "nats-server", args, port);
  await server.start();
  return Object.assign(server, { url: `${options.tls ? "tls" : "nats"}://127.0.0.1:${port}` });
}

/** mosquitto (an MQTT broker) on a free loopback port, anonymous, without persistence. */
export async function mosquittoServer(): Promise<ServerProcess & { url: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "mosquitto-"));
  const config = join(dir, "mosquitto.conf");
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const server = new ServerProcess("mosquitto", "mosquitto", ["-c", config], port);
  await server.start();
  return Object.assign(server, { url: `mqtt://127.0.0.1:${port}` });
}

/** One server of a NATS cluster, with its JetStream storage folder (a test may delete it). */
export type ClusterServer = ServerProcess & { url: string; serverName: string; store: string };

/**
 * A JetStream cluster of `size` nats-server processes on free loopback ports, routed to each other;
 * `url` lists every server, as a service's NATS_URL does. Resolves once every server is listening.
 */
export async function natsCluster(size = 3): Promise<{ servers: ClusterServer[]; url: string }> {
  const clients: number[] = [];
  const routes: number[] = [];
  for (let i = 0; i < size; i++) {
    clients.push(await freePort());
    routes.push(await freePort());
  }
  const servers = clients.map((port, i) => {
    const store = mkdtempSync(join(tmpdir(), `nats-cluster-${i}-`));
    const others = routes.filter((_, j) => j !== i).map((r) => `nats://127.0.0.1:${r}`);
    const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store, "--server_name", `n${i}`];
    args.push("--cluster_name", "facerec", "--cluster", `nats://127.0.0.1:${routes[i]}`, "--routes", others.join(","));
    return Object.assign(new ServerProcess(`nats-${i}`, "nats-server", args, port), {
      url: `nats://127.0.0.1:${port}`,
      serverName: `n${i}`,
      store,
    });
  });
  await Promise.all(servers.map((s) => s.start()));
  return { servers, url: servers.map((s) => s.url).join(",") };
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost made with openssl, to test TLS on loopback:
 * the PEM files and their bytes (the certificate is its own CA).
 */
export function selfSignedCertificate(): { keyFile: string; certFile: string; key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), "tls-"));
  const keyFile = join(dir, "tls.key");
  const certFile = join(dir, "tls.crt");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
  return { keyFile, certFile, key: readFileSync(keyFile), cert: readFileSync(certFile) };
}

/**
 * redis-server on a free loopback port, with every write in an append-only file synced at once, so a
 * SIGKILL loses nothing and a restart on the same port comes back with the same data.
 */
export async function redisServer(options: { password?: string } = {}): Promise<ServerProcess & { url: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "redis-"));
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
  ];
  if (options.password) args.push("--requirepass", options.password);
  const server = new ServerProcess("redis-server", "redis-server", args, port);
  await server.start();
  return Object.assign(server, {
    url: `redis://${options.password ? `:${encodeURIComponent(options.password)}@` : ""}127.0.0.1:${port}`,
  });
}

/** The PostgreSQL server binaries of Debian's `postgresql` package (the newest installed major version). */
function postgresBin(name: string): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => join(root, v, "bin", name)).find((p) => existsSync(p));
  if (!bin) throw new Error(`no PostgreSQL ${name} under ${root}: install Debian's postgresql package`);
  return bin;
}

/** The uid and gid of the `postgres` account, when this process runs as root (initdb refuses root). */
function postgresAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("running as root, but there is no postgres account to run PostgreSQL as");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

let databases = 0;

/**
 * A fresh, empty database on the PostgreSQL server at `serverUrl` (made with psql), so that each test
 * starts from nothing; returns its URL.
 */
export function createDatabase(serverUrl: string): string {
  const name = `facerec_test_${process.pid}_${++databases}`;
  execFileSync("psql", [serverUrl, "-q", "-c", `CREATE DATABASE ${name}`]);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A PostgreSQL server of the test's own: initdb in a fresh folder and `postgres` on a free loopback
 * port (as the postgres account when the tests run as root), which a test can stop (fast shutdown),
 * kill and start again on the same data. Where DATABASE_URL is set, a fresh database on that server
 * instead (it cannot be stopped by the test).
 */
export async function postgresServer(): Promise<ServerProcess & { url: string }> {
  const given = process.env.DATABASE_URL;
  if (given) {
    const url = createDatabase(given);
    const external = new ServerProcess("postgres (DATABASE_URL)", "true", [], Number(new URL(url).port || 5432));
    return Object.assign(external, { url });
  }
  const account = postgresAccount();
  const dir = mkdtempSync(join(tmpdir(), "pg-"));
  if (account) {
    chownSync(dir, account.uid, account.gid);
    chmodSync(dir, 0o700);
  }
  execFileSync(postgresBin("initdb"), ["-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], {
    stdio: "ignore",
    ...(account ?? {}),
  });
  const port = await freePort();
  const server = new ServerProcess(
    "postgres",
    postgresBin("postgres"),
    // Durability against a machine crash is not what these tests exercise; fsync off keeps them quick.
    [
      "-D",
      dir,
      "-p",
      String(port),
      "-k",
      dir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200",
    ],
    port,
    process.env,
    { ...(account ?? {}), stopSignal: "SIGINT" },
  );
  await server.start();
  return Object.assign(server, { url: `postgres://postgres@127.0.0.1:${port}/postgres` });
}

/**
 * A loopback TCP relay in front of a server, which a test can cut (every connection dropped and new
 * ones refused) and restore: a network outage between one client and the server, the server untouched.
 */
export class TcpRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: number) {}

  async open(port = 0): Promise<number> {
    this.server = createServer((client) => {
      const upstream = tcpConnect(this.target, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(port, "127.0.0.1", resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  async restore(): Promise<void> {
    await this.open(this.port);
  }
}

export type ServiceName = "edge-detector" | "embedder" | "matcher";

/**
 * One worker service (services/<name>/dist/main.js) as its own Node process, configured by environment
 * as in production, its ops port (health, metrics, frame push) on a free loopback port.
 */
export async function serviceProcess(name: ServiceName, env: Record<string, string>): Promise<ServerProcess & { ops: number }> {
  const ops = await freePort();
  const proc = new ServerProcess(name, process.execPath, [join(repoRoot, "services", name, "dist", "main.js")], ops, {
    ...process.env,
    OPS_PORT: String(ops),
    LOG_LEVEL: "info",
    // A folder of its own (the edge's spool, a matcher's files): never the repository's data folder.
    FACEREC_DATA: mkdtempSync(join(tmpdir(), `${name}-`)),
    ...env,
  });
  await proc.start();
  return Object.assign(proc, { ops });
}

/**
 * An edge detector (serviceProcess) with `pushKey`, what its pushes to /v1/frames carry as a bearer
 * token: EDGE_PUSH_KEY, or the key it printed at its first start, before it even loaded its models.
 */
export async function edgeProcess(env: Record<string, string>): Promise<ServerProcess & { ops: number; pushKey: string }> {
  const edge = await serviceProcess("edge-detector", env);
  const pushKey = env.EDGE_PUSH_KEY ?? /First start: edge push key .*\n\n {2}(\S+)\n/.exec(edge.output)?.[1];
  if (!pushKey) throw new Error(`the edge detector printed no push key (its data folder had one):\n${edge.output}`);
  return Object.assign(edge, { pushKey });
}

/** The gateway as its own process, as the chart runs it: free loopback ports, a data folder of its own; `admin` is its first-start key. */
export async function gatewayProcess(
  env: Record<string, string>,
): Promise<ServerProcess & { url: string; grpc: string; ops: number; admin: string }> {
  const [port, grpcPort, ops] = [await freePort(), await freePort(), await freePort()];
  const proc = new ServerProcess("gateway", process.execPath, [join(repoRoot, "services", "gateway", "dist", "main.js")], port, {
    ...process.env,
    PORT: String(port),
    GRPC_PORT: String(grpcPort),
    OPS_PORT: String(ops),
    FACEREC_DATA: mkdtempSync(join(tmpdir(), "gateway-")),
    ...env,
  });
  await proc.start();
  // Ready once it says so: its ports are bound before it prints a first-start key, and that before this line.
  for (const until = Date.now() + 60_000; !proc.output.includes("gateway listening on") && Date.now() < until; )
    await new Promise((r) => setTimeout(r, 50));
  const admin = /frk_[A-Za-z0-9_-]+/.exec(proc.output)?.[0] ?? "";
  return Object.assign(proc, { url: `http://127.0.0.1:${port}`, grpc: `127.0.0.1:${grpcPort}`, ops, admin });
}

/** The sum of a metric's samples in Prometheus text, over the series whose labels include `labels`. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const series = new Map([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => series.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}

/** The product as `pnpm start` runs it, in a child process on free loopback ports. */
export interface EmbeddedGateway {
  child: ChildProcess;
  url: string;
  /** host:port of its gRPC server. */
  grpc: string;
  /** Base URL of its ops port: /metrics, /healthz, /readyz. */
  ops: string;
  /** Everything it printed so far (the first start prints the admin key). */
  readonly output: string;
  /** Resident memory now, in bytes (Linux /proc). */
  rss(): number;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Start the embedded product on `data` and resolve when it listens. */
export function embeddedGateway(data: string, env: Record<string, string> = {}): Promise<EmbeddedGateway> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "services", "gateway", "dist", "main.js")], {
      env: { ...process.env, FACEREC_DATA: data, PORT: "0", GRPC_PORT: "0", OPS_PORT: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const onExit = (code: number | null) => reject(new Error(`gateway exited with ${code}: ${output}`));
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (https?:\/\/127\.0\.0\.1:\d+), gRPC on (127\.0\.0\.1:\d+).*, ops on (127\.0\.0\.1:\d+)/.exec(
        output,
      );
      if (!m) return;
      child.off("exit", onExit);
      resolve({
        child,
        url: m[1] as string,
        grpc: m[2] as string,
        ops: `http://${m[3]}`,
        get output() {
          return output;
        },
        rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) * 1024,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            child.once("exit", (code) => done(code));
            child.kill("SIGTERM");
          }),
      });
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("exit", onExit);
  });
}

/** An HTTP receiver on a free loopback port, as a webhook's receiver would be. */
export interface HttpReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  url: string;
  /** Every request, in arrival order. */
  requests: { headers: IncomingHttpHeaders; body: string }[];
  /** Statuses to answer, in turn; 200 once they run out. */
  answers: number[];
  stop(): Promise<void>;
}

export async function httpReceiver(): Promise<HttpReceiver> {
  const requests: HttpReceiver["requests"] = [];
  const answers: number[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests,
    answers,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
