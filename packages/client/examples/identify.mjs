#!/usr/bin/env node
// The TypeScript SDK in a dozen lines: enrol a person from photos, then name the faces in a photo.
//   FACEREC_URL=http://localhost:8080 FACEREC_KEY=frk_... \
//     node packages/client/examples/identify.mjs <name> <enrolment photo>... -- <photo to identify>
import { readFileSync } from "node:fs";
import { createFacerecClient, must, settle } from "@facerec/client";

const args = process.argv.slice(2);
const split = args.indexOf("--");
if (split < 2 || split === args.length - 1) {
  console.error("usage: identify.mjs <name> <enrolment photo>... -- <photo to identify>");
  process.exit(2);
}
const [name, ...photos] = args.slice(0, split);
const probe = args[split + 1];
const b64 = (file) => readFileSync(file).toString("base64");

const client = createFacerecClient({
  baseUrl: process.env.FACEREC_URL ?? "http://localhost:8080",
  apiKey: process.env.FACEREC_KEY,
});
const subject = await must(client.POST("/v1/subjects", { body: { name } }));
await must(client.POST("/v1/subjects/{id}/enroll", { params: { path: { id: subject.id } }, body: { images: photos.map(b64) } }));

// A refusal is a value to branch on: a photo with no face, a key without the scope. Liveness is off
// because this is a stored photo, not a camera (which takes an admin key).
const answer = await settle(client.POST("/v1/identify", { body: { image: b64(probe), liveness: "off" } }));
if (!answer.ok) {
  console.error(`identify refused: ${answer.error.status} ${answer.error.code}: ${answer.error.message}`);
  process.exit(1);
}
for (const face of answer.value.faces ?? []) {
  console.log(`${face.subjectName ?? "unknown"}\t${face.score?.toFixed(3) ?? "-"}\t${face.outcome}`);
}
