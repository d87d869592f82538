import { readFileSync } from "node:fs";
import { describeWithShared, LFW } from "@facerec/testkit";
import { describe, expect, it } from "vitest";
import { FaceCrop, FaceRecognitionServiceService, IdentifyRequest, MatchEvent, subjects } from "../src/index.js";

describeWithShared("bus messages", () => {
  it("a FaceCrop carrying real image bytes survives encode and decode unchanged", () => {
    const image = readFileSync(LFW("Aaron_Peirsol", 1));
    const crop: FaceCrop = {
      cropId: "cam1-0001",
      tenant: "acme",
      camera: "cam1",
      frameTime: new Date("2026-11-27T10:00:00.000Z"),
      box: { x: 79.5, y: 60.25, width: 93, height: 129.5 },
      landmarks: [
        { x: 100, y: 110 },
        { x: 150, y: 110 },
        { x: 125, y: 140 },
        { x: 105, y: 165 },
        { x: 145, y: 165 },
      ],
      detectorScore: 0.99,
      quality: 0.5,
      liveness: 0.75,
      alignedPng: image,
      trackId: "t-7",
    };
    const bytes = FaceCrop.encode(crop).finish();
    const back = FaceCrop.decode(bytes);
    expect(back.cropId).toBe("cam1-0001");
    expect(back.frameTime?.toISOString()).toBe("2026-11-27T10:00:00.000Z");
    expect(back.landmarks).toHaveLength(5);
    expect(Buffer.from(back.alignedPng).equals(image)).toBe(true);
    expect(back.box?.width).toBe(93);
  });
});

describe("wire contracts", () => {
  it("a match event keeps its outcome and candidates", () => {
    const event = MatchEvent.fromPartial({
      cropId: "c1",
      tenant: "acme",
      outcome: "unknown",
      topK: [{ subjectId: "s1", score: 0.25, threshold: 0.34 }],
    });
    const back = MatchEvent.decode(MatchEvent.encode(event).finish());
    expect(back.outcome).toBe("unknown");
    expect(back.topK[0]?.subjectId).toBe("s1");
  });

  it("refuses malformed protobuf with an error instead of returning garbage", () => {
    expect(() => IdentifyRequest.decode(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]))).toThrow();
    expect(() => FaceCrop.decode(Buffer.from([0xff, 0xff, 0xff]))).toThrow();
  });

  it("the gRPC service definition names every API method", () => {
    const paths = Object.values(FaceRecognitionServiceService).map((m) => m.path);
    for (const name of [
      "CreateSubject",
      "Enroll",
      "Identify",
      "Verify",
      "DeleteSubject",
      "WatchMatches",
      "QueryAudit",
      "VerifyAudit",
    ]) {
      expect(paths).toContain(`/facerec.v1.FaceRecognitionService/${name}`);
    }
    expect(FaceRecognitionServiceService.watchMatches.responseStream).toBe(true);
  });

  it("builds NATS subjects per tenant and camera and refuses tokens that would change their meaning", () => {
    expect(subjects.crop("acme", "cam-1")).toBe("faces.crop.acme.cam-1");
    expect(() => subjects.crop("acme.evil", "cam")).toThrow(/tenant "acme.evil" must be 1-64 letters/);
    expect(() => subjects.match("acme", "*")).toThrow(/camera "\*" must be 1-64 letters/);
  });
});
