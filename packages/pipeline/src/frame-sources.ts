import { spawn } from "node:child_process";
import { watch } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";

export interface Frame {
  bytes: Buffer;
  /** Frame time: the stream's start plus the frame's position, or the file's arrival. */
  time: Date;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Split a byte stream of concatenated PNG files at their IEND chunks. Chunk lengths are read, not
 * searched for, so image data that happens to contain "IEND" cannot cut a frame short.
 */
export async function* splitPngs(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let buffered = Buffer.alloc(0);
  let offset = 8;
  for await (const chunk of chunks) {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 8) break;
      if (!buffered.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error("the frame stream is not a sequence of PNG images");
      if (offset + 8 > buffered.length) break;
      const length = buffered.readUInt32BE(offset);
      const type = buffered.toString("latin1", offset + 4, offset + 8);
      const end = offset + 12 + length;
      if (end > buffered.length) break;
      offset = end;
      if (type === "IEND") {
        yield buffered.subarray(0, end);
        buffered = buffered.subarray(end);
        offset = 8;
      }
    }
  }
}

/**
 * Frames of a video file or an RTSP/HTTP stream, decoded by ffmpeg at `fps` frames a second and
 * handed over as PNG images. Frame times are the start time plus the frame's index over `fps`.
 */
export async function* videoFrames(source: string, fps: number, start = new Date()): AsyncGenerator<Frame> {
  const ffmpeg = spawn(
    "ffmpeg",
    ["-hide_banner", "-loglevel", "error", "-nostdin", "-i", source, "-vf", `fps=${fps}`, "-f", "image2pipe", "-c:v", "png", "-"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  ffmpeg.stderr.on("data", (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-2000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    ffmpeg.on("error", reject);
    ffmpeg.on("close", resolve);
  });
  let index = 0;
  try {
    for await (const png of splitPngs(ffmpeg.stdout)) {
      yield { bytes: png, time: new Date(start.getTime() + (index++ * 1000) / fps) };
    }
    const code = await exited;
    if (code !== 0) throw new Error(`ffmpeg failed on ${source} (exit ${code}): ${stderr.trim()}`);
  } finally {
    ffmpeg.kill("SIGKILL");
  }
}

const IMAGE_EXTENSIONS = new Set([".jpg", ".jpeg", ".png", ".webp"]);

/**
 * Images dropped into a directory: those already there (by name), then each new one as it appears,
 * until `signal` aborts. A file is read once it has stopped growing for `settleMs`.
 */
export async function* directoryFrames(dir: string, signal: AbortSignal, settleMs = 200): AsyncGenerator<Frame> {
  const seen = new Set<string>();
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  const watcher = watch(dir, (_event, name) => {
    if (name && !seen.has(name)) {
      queue.push(name);
      wake?.();
    }
  });
  signal.addEventListener("abort", () => wake?.(), { once: true });
  try {
    queue.push(...(await readdir(dir)).sort());
    while (!signal.aborted) {
      const name = queue.shift();
      if (name === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      if (seen.has(name) || !IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) continue;
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      const bytes = await readFile(join(dir, name)).catch(() => undefined);
      if (!bytes) continue;
      seen.add(name);
      yield { bytes, time: new Date() };
    }
  } finally {
    watcher.close();
  }
}
