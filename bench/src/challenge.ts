/**
 * The active liveness check's cost to a gateway: milliseconds per camera frame through the operation
 * layer (decode, detect, landmarks, pose; with a subject named, also align, embed and compare), for
 * challenges with and without a subject, interleaved in the same run, and how many people answering at
 * the console's 5 frames a second one process keeps up with. Frames are ORL s1's captures at 640x480.
 *
 *   node bench/dist/challenge.js [--quick] [--json]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openGateway } from "@facerec/operations";
import { answerFrames, orlFrame } from "@facerec/testkit/orl";
import { mean, percentile, table } from "./timing.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const rounds = quick ? 3 : 10;
/** The console sends a frame every 200 ms. */
const CONSOLE_FPS = 5;

async function main(): Promise<void> {
  const gateway = await openGateway(mkdtempSync(join(tmpdir(), "bench-challenge-")));
  const { recognition, keys } = gateway;
  const p = await keys.authenticate((await keys.create("bench", "kiosk", ["admin"])).key);
  const subject = await recognition.createSubject(p, "s1", {});
  await recognition.enroll(p, subject.id, await Promise.all([10, 5].map(async (c) => (await orlFrame(1, c)).jpeg)));
  const times = { plain: [] as number[], subject: [] as number[] };
  let live = 0;
  let matched = 0;
  for (let round = 0; round < rounds; round++) {
    for (const kind of ["plain", "subject"] as const) {
      const c = await recognition.startChallenge(p, kind === "subject" ? subject.id : undefined);
      for (const frame of await answerFrames(c.actions)) {
        const t = performance.now();
        await recognition.sendChallengeFrame(p, c.id, frame);
        times[kind].push(performance.now() - t);
      }
      const result = await recognition.challengeResult(p, c.id);
      if (result.live) live++;
      if (result.subject?.match) matched++;
    }
  }
  await gateway.close();
  const row = (kind: keyof typeof times) => ({
    frames: times[kind].length,
    p50_ms: Number(percentile(times[kind], 50).toFixed(1)),
    p99_ms: Number(percentile(times[kind], 99).toFixed(1)),
    frames_per_s: Number((1000 / mean(times[kind])).toFixed(1)),
    people_at_console_rate: Math.floor(1000 / mean(times[kind]) / CONSOLE_FPS),
  });
  const result = {
    challenges: rounds * 2,
    live,
    subject_matched: matched,
    without_subject: row("plain"),
    with_subject: row("subject"),
    subject_over_plain_ms: Number((mean(times.subject) / mean(times.plain)).toFixed(2)),
  };
  if (asJson) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  console.log(
    `active liveness check: ${result.challenges} challenges answered with ORL s1's captures (${live} live, ${matched} of ${rounds} matched the named subject)`,
  );
  console.log(
    table(
      ["challenge", "frames", "p50/p99 ms a frame", "frames/s", `people at ${CONSOLE_FPS} frames/s`],
      (["plain", "subject"] as const).map((kind) => {
        const r = row(kind);
        return [
          kind === "plain" ? "no subject" : "subject named",
          r.frames,
          `${r.p50_ms}/${r.p99_ms}`,
          r.frames_per_s,
          r.people_at_console_rate,
        ];
      }),
    ),
  );
}

await main();
