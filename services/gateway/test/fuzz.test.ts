import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FaceRecognitionServiceClient, IdentifyRequest } from "@facerec/contracts";
import { type Gateway, openGateway } from "@facerec/operations";
import { describeWithShared, shared } from "@facerec/testkit";
import { decodeImage, ImageError } from "@facerec/vision";
import { credentials, Metadata, type Server, type ServiceError, status } from "@grpc/grpc-js";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildGrpcServer, listenGrpc } from "../src/index.js";

/**
 * A seeded fuzz pass (fast-check; fixed seeds, so every run tries the same inputs and a failure
 * replays): the image decoder and the gRPC server's request decoding, on random bytes and on real
 * images and valid requests with bytes flipped, cut and spliced. The property is that every input
 * ends in a typed refusal or a result, never a crash, a hang or an INTERNAL answer.
 */
const SEED = 20261202;
// Read in beforeAll: without ../shared the suite is skipped, and must not fail while it is collected.
let jpeg: Buffer;
let png: Buffer;

/** A real file with some bytes flipped, a cut, or a splice of random bytes. */
const mutated = (base: Buffer) =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 1, max: 255 })), { maxLength: 16 }),
      fc.option(fc.nat({ max: base.length })),
      fc.option(fc.tuple(fc.nat({ max: base.length }), fc.uint8Array({ maxLength: 64 }))),
    )
    .map(([flips, cut, splice]) => {
      let bytes = Buffer.from(base);
      for (const [at, mask] of flips) bytes[at] = (bytes[at] as number) ^ mask;
      if (cut !== null) bytes = bytes.subarray(0, cut);
      if (splice !== null) bytes = Buffer.concat([bytes.subarray(0, splice[0]), splice[1], bytes.subarray(splice[0])]);
      return bytes;
    });

let gateway: Gateway;
let server: Server;
let client: InstanceType<typeof FaceRecognitionServiceClient>;
let key: string;

describeWithShared("fuzz pass", () => {
  beforeAll(async () => {
    jpeg = readFileSync(shared("data", "facerec_examples", "knn_examples", "test", "obama1.jpg"));
    png = readFileSync(shared("data", "facerec_examples", "misc", "alex-lacamoire.png"));
    gateway = await openGateway(mkdtempSync(join(tmpdir(), "fuzz-")));
    key = (await gateway.keys.create("acme", "fuzz", ["admin"])).key;
    server = buildGrpcServer(gateway.recognition);
    client = new FaceRecognitionServiceClient(
      `127.0.0.1:${await listenGrpc(server, "127.0.0.1:0")}`,
      credentials.createInsecure(),
    );
  });
  afterAll(async () => {
    client?.close();
    server?.forceShutdown();
    await gateway?.close();
  });

  it("the image decoder answers every input with an image or an ImageError", async () => {
    let crashes = 0;
    let decoded = 0;
    let refused = 0;
    const input = fc.oneof(fc.uint8Array({ maxLength: 2048 }), mutated(jpeg), mutated(png));
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        try {
          const image = await decodeImage(bytes);
          decoded++;
          return image.width > 0 && image.height > 0 && image.data.length === image.width * image.height * image.channels;
        } catch (error) {
          if (error instanceof ImageError) {
            refused++;
            return true;
          }
          crashes++;
          throw error;
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
    console.log(`image decoder fuzz: 1000 inputs, ${decoded} decoded, ${refused} refused with ImageError, ${crashes} crashes`);
    expect(crashes).toBe(0);
  });

  it("the gRPC server answers every malformed or mangled request with a typed status, never INTERNAL, and stays up", async () => {
    const valid = Buffer.from(
      IdentifyRequest.encode({ image: jpeg.subarray(0, 4096), topK: 3, camera: "door", liveness: "", frames: [] }).finish(),
    );
    const methods = ["Identify", "CreateSubject", "Enroll", "QueryAudit", "StartJob", "CreateKey"];
    const codes = new Map<string, number>();
    const call = (method: string, bytes: Buffer) =>
      new Promise<number>((resolve) => {
        const meta = new Metadata();
        meta.set("x-api-key", key);
        client.makeUnaryRequest(
          `/facerec.v1.FaceRecognitionService/${method}`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          meta,
          (error: ServiceError | null) => resolve(error ? error.code : status.OK),
        );
      });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...methods),
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
          mutated(valid),
        ),
        async (method, bytes) => {
          const code = await call(method, bytes);
          const name = status[code] as string;
          codes.set(name, (codes.get(name) ?? 0) + 1);
          return code !== status.INTERNAL && code !== status.UNKNOWN;
        },
      ),
      { seed: SEED, numRuns: 600 },
    );
    console.log(`gRPC request fuzz: 600 requests, ${JSON.stringify(Object.fromEntries(codes))}`);
    // Still serving: a well-formed request is answered normally.
    const meta = new Metadata();
    meta.set("x-api-key", key);
    const listed = await new Promise<number>((resolve) =>
      client.listSubjects({ pageSize: 0, pageToken: "" }, meta, (error: ServiceError | null) =>
        resolve(error ? error.code : status.OK),
      ),
    );
    expect(listed).toBe(status.OK);
  });
});
