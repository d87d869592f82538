import { join } from "node:path";
import type { AuditLog } from "@facerec/audit";
import { type ApiKeyStore, AuthError, type Principal } from "@facerec/auth";
import { FaceRecognitionServiceService, Outcome } from "@facerec/contracts";
import type { Subject } from "@facerec/gallery";
import { repoRoot } from "@facerec/vision";
import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { httpStatusOf } from "./errors.js";
import type { Recognition } from "./recognition.js";

/** A request whose bytes did not parse: grpc-js would answer INTERNAL, the API answers INVALID_ARGUMENT. */
class Malformed {
  constructor(readonly reason: string) {}
}

const OUTCOMES: Record<string, Outcome> = {
  match: Outcome.OUTCOME_MATCH,
  unknown: Outcome.OUTCOME_UNKNOWN,
  "rejected-quality": Outcome.OUTCOME_REJECTED_QUALITY,
  "rejected-spoof": Outcome.OUTCOME_REJECTED_SPOOF,
};

const toSubject = (s: Subject & { templates?: number }) => ({
  id: s.id,
  name: s.name,
  metadata: s.metadata,
  createdAt: new Date(s.createdAt),
  templates: s.templates ?? 0,
});

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
export function buildGrpcServer(recognition: Recognition, keys: ApiKeyStore, audit: AuditLog): Server {
  const unary =
    <Req, Res>(operation: string, fn: (p: Principal, req: Req) => Promise<Res> | Res) =>
    async (call: ServerUnaryCall<Req | Malformed, Res>, callback: sendUnaryData<Res>): Promise<void> => {
      try {
        const key = call.metadata.get("x-api-key")[0];
        let principal: Principal;
        try {
          principal = keys.authenticate(typeof key === "string" ? key : undefined);
        } catch (error) {
          if (error instanceof AuthError) {
            audit.append({
              tenant: "-",
              keyId: "-",
              operation: `grpc ${operation}`,
              decision: `rejected-auth:${error.reason}`,
              requestId: "-",
            });
          }
          throw error;
        }
        if (call.request instanceof Malformed) {
          callback({ code: status.INVALID_ARGUMENT, details: `malformed ${operation} request: ${call.request.reason}` });
          return;
        }
        callback(null, await fn(principal, call.request));
      } catch (error) {
        const { code, message } = httpStatusOf(error);
        callback({ code: status[code as keyof typeof status] as number, details: message });
      }
    };

  const server = new Server({ "grpc.max_receive_message_length": 30 * 1024 * 1024 });
  const implementation: UntypedServiceImplementation = {
    createSubject: unary("CreateSubject", (p, r: { name: string; metadata: Record<string, string> }) => {
      if (!r.name) throw Object.assign(new Error("name is required"), { statusCode: 400 });
      return { subject: toSubject(recognition.createSubject(p, r.name, r.metadata)) };
    }),
    getSubject: unary("GetSubject", (p, r: { id: string }) => ({ subject: toSubject(recognition.getSubject(p, r.id)) })),
    listSubjects: unary("ListSubjects", (p) => ({ subjects: recognition.listSubjects(p).map(toSubject), nextPageToken: "" })),
    updateSubject: (_call: unknown, callback: sendUnaryData<unknown>) =>
      callback({ code: status.UNIMPLEMENTED, details: "UpdateSubject is not implemented yet" }),
    deleteSubject: unary("DeleteSubject", async (p, r: { id: string }) => recognition.deleteSubject(p, r.id)),
    enroll: unary("Enroll", async (p, r: { subjectId: string; images: Uint8Array[] }) =>
      recognition.enroll(p, r.subjectId, r.images),
    ),
    identify: unary("Identify", async (p, r: { image: Uint8Array }) => {
      const { faces, requestId } = await recognition.identify(p, r.image);
      return {
        faces: faces.map((f) => ({
          box: f.box,
          outcome: OUTCOMES[f.outcome] ?? Outcome.OUTCOME_UNSPECIFIED,
          subjectId: f.subjectId ?? "",
          score: f.score ?? 0,
          threshold: f.threshold ?? 0,
          quality: f.quality,
          liveness: f.liveness ?? 0,
          candidates: f.candidates,
        })),
        modelId: recognition.modelId,
        requestId,
      };
    }),
    verify: unary("Verify", async (p, r: { image: Uint8Array; subjectId?: string; otherImage?: Uint8Array }) => {
      if (!r.subjectId && !r.otherImage) throw Object.assign(new Error("give subject_id or other_image"), { statusCode: 400 });
      return recognition.verify(
        p,
        r.image,
        r.subjectId ? { subjectId: r.subjectId } : { otherImage: r.otherImage as Uint8Array },
      );
    }),
    watchMatches: (call: ServerWritableStream<unknown, unknown>) =>
      call.destroy(Object.assign(new Error("WatchMatches arrives with the NATS pipeline"), { code: status.UNIMPLEMENTED })),
    queryAudit: unary(
      "QueryAudit",
      (p, r: { operation: string; subjectId: string; decision: string; pageSize: number; pageToken: string }) => {
        const page = recognition.queryAudit(p, {
          ...(r.operation ? { operation: r.operation } : {}),
          ...(r.subjectId ? { subjectId: r.subjectId } : {}),
          ...(r.decision ? { decision: r.decision } : {}),
          ...(r.pageSize ? { pageSize: r.pageSize } : {}),
          ...(r.pageToken ? { pageToken: r.pageToken } : {}),
        });
        return {
          entries: page.entries.map((e) => ({
            ...e,
            time: new Date(e.time),
            subjectId: e.subjectId ?? "",
            scores: e.scores ?? [],
            modelId: e.modelId ?? "",
            latencyMs: e.latencyMs ?? 0,
          })),
          nextPageToken: page.nextPageToken ?? "",
        };
      },
    ),
    verifyAudit: unary("VerifyAudit", (p) => {
      const v = recognition.verifyAudit(p);
      return { intact: v.intact, entries: v.entries, firstBroken: v.firstBroken ?? 0, reason: v.reason ?? "" };
    }),
  };
  server.addService(tolerantDefinition(), implementation);
  // grpc.health.v1: the whole server and the API service report SERVING while the process is up.
  new HealthImplementation({ "": "SERVING", "facerec.v1.FaceRecognitionService": "SERVING" }).addToServer(server);
  // Server reflection describes the API from the same proto files the code is generated from.
  const definition = loadSync(join(repoRoot, "proto", "facerec", "v1", "api.proto"), { includeDirs: [join(repoRoot, "proto")] });
  new ReflectionService(definition).addToServer(server);
  return server;
}

/** Bind on a loopback (or configured) address; resolves with the bound port. */
export function listenGrpc(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
  });
}
