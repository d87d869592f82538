import type { AddressInfo } from "node:net";
import { FaceRecognitionServiceClient } from "@facerec/contracts";
import { globalAt } from "@facerec/gallery";
import type { Gateway } from "@facerec/operations";
import type { TargetFmr } from "@facerec/privacy";
import { thresholdAtTarget } from "@facerec/product";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { buildApp, buildGrpcServer, listenGrpc } from "../src/index.js";

// biome-ignore lint/suspicious/noExplicitAny: the answers of many routes, which tests read field by field
export type Json = any;

/** A REST caller for `base` with an API key: the status and the parsed body (undefined when empty). */
export function restCaller(base: () => string) {
  return async (method: string, path: string, key: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: { "x-api-key": key, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  };
}

/** A gRPC caller: the promise form of a generated unary method, with the key in metadata. */
export function grpcCaller(client: () => InstanceType<typeof FaceRecognitionServiceClient>) {
  return <Res>(method: string, request: unknown, key: string): Promise<Res> => {
    const meta = new Metadata();
    meta.set("x-api-key", key);
    return new Promise((resolve, reject) => {
      (client() as unknown as Record<string, (r: unknown, m: Metadata, cb: (e: ServiceError | null, r: Res) => void) => void>)[
        method
      ]?.(request, meta, (error, response) => (error ? reject(error) : resolve(response)));
    });
  };
}

/** The gateway's REST and gRPC servers on free loopback ports, and a gRPC client; close() ends all three and the gateway. */
export async function serveOnLoopback(gateway: Gateway): Promise<{
  base: string;
  client: InstanceType<typeof FaceRecognitionServiceClient>;
  close: () => Promise<void>;
}> {
  const app = await buildApp(gateway.recognition, gateway.audit);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const grpc = buildGrpcServer(gateway.recognition);
  const client = new FaceRecognitionServiceClient(
    `127.0.0.1:${await listenGrpc(grpc, "127.0.0.1:0")}`,
    credentials.createInsecure(),
  );
  return {
    base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    client,
    async close() {
      client.close();
      grpc.forceShutdown();
      await app.close();
      await gateway.close();
    },
  };
}

/** The global threshold the product sets for a tenant's target with the people it has enrolled now. */
export function sizedGlobal(gateway: Gateway, tenant: string, target: TargetFmr): number {
  const enrolled = gateway.gallery
    .listSubjects(tenant)
    .filter((s) => gateway.gallery.templatesOf(tenant, s.id).length > 0).length;
  return globalAt(thresholdAtTarget(gateway.engine.embedder, target), enrolled);
}
