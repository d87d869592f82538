import { join } from "node:path";
import type { AuditEntry } from "@facerec/audit";
import type { ApiKeyRecord, Principal } from "@facerec/auth";
import { repoRoot } from "@facerec/common";
import {
  type ApiKey,
  type Consent as ConsentMessage,
  type FaceRecognitionServiceServer,
  FaceRecognitionServiceService,
  JobKind,
  Outcome,
  type ReviewCluster as ReviewClusterMessage,
  type TenantPolicy as TenantPolicyMessage,
  type WatchMatchesRequest,
  type WatchMatchesResponse,
  type Webhook,
  type WebhookAttempt,
} from "@facerec/contracts";
import type { ConsentRecord, Decision, ReviewCluster, Subject, ThresholdExplanation } from "@facerec/gallery";
import type { DeliveryAttempt } from "@facerec/notify";
import {
  BadRequestError,
  type Erasure,
  httpStatusOf,
  type OperationName,
  type Recognition,
  type WebhookView,
} from "@facerec/operations";
import type { JobView } from "@facerec/pipeline";
import type { PolicyVersion } from "@facerec/privacy";
import { contextFromHttpHeaders, SpanKind, tracer } from "@facerec/runtime";
import {
  type Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { type Admitted, admissionInterceptor } from "./grpc-admission.js";

/** A request whose bytes did not parse: grpc-js would answer INTERNAL, the API answers INVALID_ARGUMENT. */
class Malformed {
  constructor(readonly reason: string) {}
}

const toSubject = (s: Subject & { templates?: number; cropTemplates?: string[]; threshold?: ThresholdExplanation }) => ({
  id: s.id,
  name: s.name,
  metadata: s.metadata,
  createdAt: new Date(s.createdAt),
  templates: s.templates ?? 0,
  cropTemplates: s.cropTemplates ?? [],
  ...(s.threshold ? { threshold: s.threshold } : {}),
  ...(s.consent ? { consent: { ...s.consent, givenAt: new Date(s.consent.givenAt) } } : {}),
});

/** A consent message as the operation layer takes it (which checks its fields, as for REST). */
const consentOf = (c: ConsentMessage | undefined): ConsentRecord | undefined =>
  c && { basis: c.basis, givenAt: c.givenAt?.toISOString() ?? "", noticeVersion: c.noticeVersion, evidenceRef: c.evidenceRef };

/** proto3 has no null: 0 days means templates are kept, an empty notice version the default. */
const policyOf = (t: TenantPolicyMessage | undefined) => ({
  consent: { required: t?.consentRequired ?? false, noticeVersion: t?.noticeVersion || "1" },
  retention: {
    templatesDays: t?.templatesRetentionDays || null,
    auditDays: t?.auditRetentionDays || null,
    reviewDays: t?.reviewRetentionDays || null,
  },
  identify: { cameras: t?.identifyCameras.length ? t.identifyCameras : "all" },
  thresholds: { targetFmr: t?.targetFmr || null },
  contact: t?.contact ?? "",
  liveness: t?.liveness || null,
});

const toPolicyVersion = (v: PolicyVersion) => ({
  version: v.version,
  policy: {
    consentRequired: v.policy.consent.required,
    noticeVersion: v.policy.consent.noticeVersion,
    templatesRetentionDays: v.policy.retention.templatesDays ?? 0,
    auditRetentionDays: v.policy.retention.auditDays ?? 0,
    reviewRetentionDays: v.policy.retention.reviewDays ?? 0,
    identifyCameras: v.policy.identify.cameras === "all" ? [] : v.policy.identify.cameras,
    targetFmr: v.policy.thresholds.targetFmr ?? "",
    contact: v.policy.contact,
    liveness: v.policy.liveness ?? "",
  },
  setBy: v.setBy,
  ...(v.setAt ? { setAt: new Date(v.setAt) } : {}),
});

const toKey = (k: Omit<ApiKeyRecord, "secretSha256">): ApiKey => ({
  id: k.id,
  tenant: k.tenant,
  name: k.name,
  scopes: k.scopes,
  cameras: k.cameras ?? [],
  createdAt: new Date(k.createdAt),
  ...(k.revokedAt ? { revokedAt: new Date(k.revokedAt) } : {}),
});

const toAuditEntry = (e: AuditEntry) => ({
  ...e,
  time: new Date(e.time),
  subjectId: e.subjectId ?? "",
  scores: e.scores ?? [],
  modelId: e.modelId ?? "",
  latencyMs: e.latencyMs ?? 0,
  camera: e.camera ?? "",
});

const toCluster = (c: ReviewCluster): ReviewClusterMessage => ({
  id: c.id,
  modelId: c.model,
  faces: c.faces,
  cameras: c.cameras,
  first: new Date(c.first),
  last: new Date(c.last),
});

const toErasure = (e: Erasure) => ({
  templatesRemoved: e.templatesRemoved,
  receipt: { ...e.receipt, erasedAt: new Date(e.receipt.erasedAt) },
});

const toWebhook = (w: WebhookView): Webhook => ({ ...w, createdAt: new Date(w.createdAt) });

const toAttempt = (a: DeliveryAttempt): WebhookAttempt => ({
  deliveryId: a.deliveryId,
  eventId: a.eventId,
  attempt: a.attempt,
  status: a.status ?? 0,
  error: a.error ?? "",
  delivered: a.delivered,
  at: new Date(a.at),
});

/** Identify's per-face result keeps the Outcome enum of api.proto. */
const OUTCOMES: Record<Decision["outcome"], Outcome> = {
  match: Outcome.OUTCOME_MATCH,
  unknown: Outcome.OUTCOME_UNKNOWN,
  "rejected-quality": Outcome.OUTCOME_REJECTED_QUALITY,
  "rejected-spoof": Outcome.OUTCOME_REJECTED_SPOOF,
};

const JOB_KINDS = new Map<JobKind, JobView["kind"]>([
  [JobKind.JOB_KIND_ENROL_FOLDER, "enrol-folder"],
  [JobKind.JOB_KIND_REEMBED, "reembed"],
  [JobKind.JOB_KIND_ERASE, "erase"],
  [JobKind.JOB_KIND_RECALIBRATE, "recalibrate"],
  [JobKind.JOB_KIND_REINDEX, "reindex"],
]);

const toJob = (j: JobView) => ({
  id: j.id,
  kind: [...JOB_KINDS].find(([, k]) => k === j.kind)?.[0] ?? JobKind.JOB_KIND_UNSPECIFIED,
  state: j.state,
  progress: j.progress,
  attempts: j.attempts,
  resultJson: j.result === undefined ? "" : JSON.stringify(j.result),
  error: j.error ?? "",
});

/** The service's method name for a declared operation: the declarations are named after the methods. */
const methodOf = (operation: OperationName): string => operation[0]?.toUpperCase() + operation.slice(1);

/** The service definition with request decoding that reports malformed bytes instead of throwing. */
function tolerantDefinition(): typeof FaceRecognitionServiceService {
  const definition = { ...FaceRecognitionServiceService } as Record<
    string,
    (typeof FaceRecognitionServiceService)[keyof typeof FaceRecognitionServiceService]
  >;
  for (const [name, method] of Object.entries(definition)) {
    const decode = method.requestDeserialize as (b: Buffer) => unknown;
    definition[name] = {
      ...method,
      requestDeserialize: ((bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch (error) {
          return new Malformed((error as Error).message);
        }
      }) as never,
    };
  }
  return definition as typeof FaceRecognitionServiceService;
}

/**
 * The gRPC face of the same operations as REST, with the same errors: the HTTP mapping's code names are
 * gRPC status names, so one table serves both. The API key travels in the `x-api-key` metadata.
 */
export function buildGrpcServer(recognition: Recognition): Server {
  // The interceptor admits each call before its message is read and leaves who called here.
  const admitted = new WeakMap<Metadata, Admitted>();
  const callerOf = (call: { metadata: Metadata }): Admitted => {
    const found = admitted.get(call.metadata);
    if (!found) throw new Error("a call reached its handler without admission");
    return found;
  };
  const grpcError = (error: unknown) => {
    const { code, message } = httpStatusOf(error);
    return { code: status[code as keyof typeof status] as number, details: message };
  };

  const unary =
    <Req, Res>(operation: OperationName, fn: (p: Principal, req: Req) => Promise<Res> | Res) =>
    async (call: ServerUnaryCall<Req | Malformed, Res>, callback: sendUnaryData<Res>): Promise<void> => {
      let principal: Principal | undefined;
      const method = methodOf(operation);
      // A server span continuing the caller's traceparent metadata (a no-op unless tracing is on).
      const span = tracer().startSpan(
        `grpc ${method}`,
        { kind: SpanKind.SERVER, attributes: { "rpc.system": "grpc", "rpc.method": method } },
        contextFromHttpHeaders(call.metadata.getMap() as Record<string, string>),
      );
      let requestId = "-";
      try {
        ({ principal, requestId } = callerOf(call));
        if (call.request instanceof Malformed) {
          throw new BadRequestError(`malformed ${method} request: ${call.request.reason}`);
        }
        callback(null, await fn(principal, call.request));
        span.setAttribute("rpc.grpc.status_code", status.OK);
      } catch (error) {
        const refusal = grpcError(error);
        span.setAttribute("rpc.grpc.status_code", refusal.code);
        if (refusal.code === status.INTERNAL) console.error(`grpc ${method} failed`, error);
        if (principal) {
          await recognition
            .refused(principal, operation, `rejected:${status[refusal.code]}`, requestId)
            .catch((e) => console.error("audit append failed", e));
        }
        callback(refusal);
      } finally {
        span.end();
      }
    };

  const server = new Server({
    "grpc.max_receive_message_length": recognition.limits.grpcMessageBytes,
    interceptors: [admissionInterceptor(recognition, admitted)],
  });
  // Typed from the generated service definition: each handler's request and response are the
  // messages of api.proto, so a field renamed there fails to compile here.
  const implementation: FaceRecognitionServiceServer = {
    createSubject: unary("createSubject", async (p, r) => {
      if (!r.name) throw new BadRequestError("name is required");
      return { subject: toSubject(await recognition.createSubject(p, r.name, r.metadata, consentOf(r.consent))) };
    }),
    getSubject: unary("getSubject", async (p, r) => ({
      subject: toSubject(await recognition.getSubject(p, r.id)),
    })),
    getSubjectCrop: unary("getSubjectCrop", async (p, r) => {
      const { png, templateId } = await recognition.getSubjectCrop(p, r.id, r.templateId || undefined);
      return { png: Buffer.from(png), templateId };
    }),
    listSubjects: unary("listSubjects", async (p) => ({
      subjects: (await recognition.listSubjects(p)).map(toSubject),
      nextPageToken: "",
    })),
    updateSubject: unary("updateSubject", async (p, r) => {
      // proto3 cannot tell an empty field from an absent one: an empty name or map leaves that part as it is.
      const change = {
        ...(r.name ? { name: r.name } : {}),
        ...(Object.keys(r.metadata).length ? { metadata: r.metadata } : {}),
        ...(r.consent ? { consent: consentOf(r.consent) as ConsentRecord } : {}),
      };
      return { subject: toSubject(await recognition.updateSubject(p, r.id, change)) };
    }),
    deleteSubject: unary("deleteSubject", async (p, r) => toErasure(await recognition.deleteSubject(p, r.id))),
    enroll: unary("enroll", async (p, r) => recognition.enroll(p, r.subjectId, r.images)),
    identify: unary("identify", async (p, r) => {
      const { faces, requestId, liveness, livenessSource, livenessThreshold } = await recognition.identify(
        p,
        r.image,
        r.camera || undefined,
        r.liveness || undefined,
        r.frames,
      );
      return {
        faces: faces.map((f) => ({
          box: f.box,
          outcome: OUTCOMES[f.outcome],
          subjectId: f.subjectId ?? "",
          subjectName: f.subjectName ?? "",
          reason: f.reason ?? "",
          score: f.score ?? 0,
          threshold: f.threshold ?? 0,
          quality: f.quality,
          liveness: f.liveness ?? 0,
          livenessFrames: f.livenessFrames ?? 0,
          candidates: r.topK > 0 ? f.candidates.slice(0, r.topK) : f.candidates,
        })),
        modelId: recognition.modelId,
        requestId,
        liveness,
        livenessSource,
        livenessThreshold,
      };
    }),
    verify: unary("verify", async (p, r) => {
      if (!r.subjectId && !r.otherImage) throw new BadRequestError("give subject_id or other_image");
      const v = await recognition.verify(
        p,
        r.image,
        r.subjectId ? { subjectId: r.subjectId } : { otherImage: r.otherImage as Uint8Array },
        r.frames,
      );
      return {
        ...v,
        subjectName: v.subjectName ?? "",
        liveness: v.liveness ?? 0,
        livenessFrames: v.livenessFrames ?? 0,
        livenessThreshold: v.livenessThreshold ?? 0,
        reason: v.reason ?? "",
      };
    }),
    // The verdict's words are checked in the operation layer, as for REST.
    feedback: unary("feedback", async (p, r) =>
      recognition.feedback(p, {
        image: r.image,
        subjectId: r.subjectId,
        verdict: r.verdict as "wrong" | "right",
        ...(r.decisionId ? { decisionId: r.decisionId } : {}),
      }),
    ),
    watchMatches: async (call: ServerWritableStream<WatchMatchesRequest | Malformed, WatchMatchesResponse>) => {
      try {
        const { principal, requestId } = callerOf(call);
        if (call.request instanceof Malformed) throw new BadRequestError(call.request.reason);
        const stop = await recognition.watchMatches(principal, call.request.cameras, (event) => {
          // A reader that stopped reading would hold every later event in memory: end its stream instead.
          if (call.writableLength > recognition.limits.streamBacklogBytes) {
            stop();
            call.emit("error", { code: status.RESOURCE_EXHAUSTED, details: "the reader fell too far behind; reconnect" });
            recognition.streamDropped(principal, requestId).catch((e) => console.error("audit append failed", e));
            return;
          }
          call.write({ event });
        });
        call.on("cancelled", stop);
        call.on("close", stop);
        // A client gone while the stream was being opened (its audit entry written) frees its slot too.
        if (call.cancelled) stop();
      } catch (error) {
        // An 'error' event is how grpc-js ends a server stream with a status (destroy would send none).
        call.emit("error", grpcError(error));
      }
    },
    queryAudit: unary("queryAudit", async (p, r) => {
      const page = await recognition.queryAudit(p, {
        ...(r.since ? { since: r.since } : {}),
        ...(r.until ? { until: r.until } : {}),
        ...(r.operation ? { operation: r.operation } : {}),
        ...(r.subjectId ? { subjectId: r.subjectId } : {}),
        ...(r.decision ? { decision: r.decision } : {}),
        ...(r.pageSize ? { pageSize: r.pageSize } : {}),
        ...(r.pageToken ? { pageToken: r.pageToken } : {}),
        ...(r.newestFirst ? { newestFirst: true } : {}),
      });
      return {
        entries: page.entries.map(toAuditEntry),
        nextPageToken: page.nextPageToken ?? "",
      };
    }),
    exportSubject: unary("exportSubject", async (p, r) => {
      const x = await recognition.exportSubject(p, r.id);
      return {
        generatedAt: new Date(x.generatedAt),
        subject: toSubject(x.subject),
        templates: x.templates.map((t) => ({ ...t, modelId: t.model, createdAt: new Date(t.createdAt) })),
        negatives: x.negatives.map((t) => ({
          id: t.id,
          modelId: t.model,
          quality: 0,
          cropRetained: false,
          createdAt: new Date(t.createdAt),
        })),
        stores: x.stores.map((s) => ({ store: s.store, held: s.held, recordsJson: JSON.stringify(s.records) })),
        decisions: x.decisions.map(toAuditEntry),
        decisionsTruncated: x.decisionsTruncated,
        held: x.held,
      };
    }),
    startJob: unary("startJob", async (p, r) => {
      const kind = JOB_KINDS.get(r.kind);
      if (!kind) throw new BadRequestError("kind must be one of the JobKind values");
      const request = { kind, ...(r.folder ? { folder: r.folder } : {}), ...(r.subjectId ? { subjectId: r.subjectId } : {}) };
      return { job: toJob(await recognition.startJob(p, request, r.idempotencyKey || undefined)) };
    }),
    getJob: unary("getJob", async (p, r) => ({ job: toJob(await recognition.getJob(p, r.id)) })),
    verifyAudit: unary("verifyAudit", async (p) => {
      const v = await recognition.verifyAudit(p);
      return {
        tenant: v.tenant,
        intact: v.intact,
        entries: v.entries,
        firstBroken: v.firstBroken ?? 0,
        reason: v.reason ?? "",
        checkpointSequence: v.checkpoint?.sequence ?? 0,
        checkpointHash: v.checkpoint?.hash ?? "",
        pruned: v.checkpoint?.pruned ?? 0,
      };
    }),
    createKey: unary("createKey", async (p, r) => {
      if (!r.name) throw new BadRequestError("name is required");
      const { key, record } = await recognition.createKey(p, r.name, r.scopes, r.cameras.length ? r.cameras : undefined);
      return { key, record: toKey(record) };
    }),
    listKeys: unary("listKeys", async (p) => ({ keys: (await recognition.listKeys(p)).map(toKey) })),
    revokeKey: unary("revokeKey", async (p, r) => ({ key: toKey(await recognition.revokeKey(p, r.id)) })),
    createWebhook: unary("createWebhook", async (p, r) => {
      const { secret, webhook } = await recognition.createWebhook(p, r);
      return { secret, webhook: toWebhook(webhook) };
    }),
    listWebhooks: unary("listWebhooks", async (p) => ({ webhooks: (await recognition.listWebhooks(p)).map(toWebhook) })),
    deleteWebhook: unary("deleteWebhook", async (p, r) => {
      await recognition.deleteWebhook(p, r.id);
      return {};
    }),
    listReviewClusters: unary("listReviewClusters", async (p, r) => {
      const page = await recognition.listReviewClusters(p, r.limit || undefined, r.offset);
      return { clusters: page.clusters.map(toCluster), total: page.total };
    }),
    getReviewCluster: unary("getReviewCluster", async (p, r) => {
      const { cluster, faces } = await recognition.getReviewCluster(p, r.id);
      return {
        cluster: toCluster(cluster),
        faces: faces.map((f) => ({ ...f, subjectId: f.subjectId ?? "", time: new Date(f.time) })),
      };
    }),
    assignReviewCluster: unary("assignReviewCluster", async (p, r) => {
      const assigned = await recognition.assignReviewCluster(p, r.id, {
        ...(r.subjectId ? { subjectId: r.subjectId } : {}),
        ...(r.name ? { name: r.name } : {}),
      });
      return { ...assigned, subject: toSubject(assigned.subject) };
    }),
    dismissReviewCluster: unary("dismissReviewCluster", async (p, r) => recognition.dismissReviewCluster(p, r.id)),
    getPolicy: unary("getPolicy", async (p) => ({ policy: toPolicyVersion(await recognition.getPolicy(p)) })),
    setPolicy: unary("setPolicy", async (p, r) => ({
      policy: toPolicyVersion(await recognition.setPolicy(p, policyOf(r.policy))),
    })),
    withdrawConsent: unary("withdrawConsent", async (p, r) => toErasure(await recognition.withdrawConsent(p, r.id))),
    getNotice: unary("getNotice", async (p) => {
      const notice = await recognition.getNotice(p);
      return { ...notice, generatedAt: new Date(notice.generatedAt) };
    }),
    getReviewFaceCrop: unary("getReviewFaceCrop", async (p, r) => ({
      png: Buffer.from(await recognition.getReviewFaceCrop(p, r.id)),
    })),
    getStatus: unary("getStatus", (p) => recognition.getStatus(p)),
    startChallenge: unary("startChallenge", async (p, r) => {
      const c = await recognition.startChallenge(p, r.subjectId || undefined);
      return { ...c, expiresAt: new Date(c.expiresAt) };
    }),
    sendChallengeFrame: unary("sendChallengeFrame", async (p, r) => {
      const { pose, ...frame } = await recognition.sendChallengeFrame(p, r.id, r.image);
      return { ...frame, ...(pose ? { yaw: pose.yaw, eyes: pose.eyes ?? 0 } : {}) };
    }),
    challengeResult: unary("challengeResult", (p, r) => recognition.challengeResult(p, r.id)),
    testWebhook: unary("testWebhook", async (p, r) => {
      const sent = await recognition.testWebhook(p, r.id);
      return { delivered: sent.delivered, status: sent.status ?? 0, error: sent.error ?? "" };
    }),
    listWebhookDeliveries: unary("listWebhookDeliveries", async (p, r) => ({
      attempts: (await recognition.listWebhookDeliveries(p, r.id, r.limit || undefined)).map(toAttempt),
    })),
  };
  server.addService(tolerantDefinition(), implementation);
  // grpc.health.v1: the whole server and the API service report SERVING while the process is up.
  new HealthImplementation({ "": "SERVING", "facerec.v1.FaceRecognitionService": "SERVING" }).addToServer(server);
  // Server reflection describes the API from the same proto files the code is generated from.
  const definition = loadSync(join(repoRoot, "proto", "facerec", "v1", "api.proto"), { includeDirs: [join(repoRoot, "proto")] });
  new ReflectionService(definition).addToServer(server);
  return server;
}

/**
 * Bind on a loopback (or configured) address, with TLS when a PEM key and certificate are given;
 * resolves with the bound port.
 */
export function listenGrpc(server: Server, address: string, tls?: { key: Buffer; cert: Buffer }): Promise<number> {
  const credentials = tls
    ? ServerCredentials.createSsl(null, [{ private_key: tls.key, cert_chain: tls.cert }], false)
    : ServerCredentials.createInsecure();
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port)));
  });
}
