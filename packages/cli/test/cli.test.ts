import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, describeWithShared, facerec, shared } from "@facerec/testkit";
import { PHOTOMETRIC_SHIFTS } from "@facerec/vision";
import { expect, it } from "vitest";

const LFW_ROOT = shared("data", "lfw", "lfw-deepfunneled");
const work = mkdtempSync(join(tmpdir(), "facerec-cli-"));

/** A small View 1-style list: the first `n` matched and `n` mismatched pairs of a View 1 file. */
function smallPairs(file: string, n: number, total: number): string {
  const lines = readFileSync(shared("data", "lfw", file), "utf8")
    .trim()
    .split("\n")
    .slice(1);
  const path = join(work, `${file}.${n}`);
  writeFileSync(path, [String(n), ...lines.slice(0, n), ...lines.slice(total, total + n)].join("\n"));
  return path;
}

describeWithShared("facerec CLI", () => {
  it("eval lfw chooses the threshold on training pairs and prints the required JSON keys", async () => {
    const r = await facerec(
      "eval",
      "lfw",
      "--root",
      shared("data", "lfw", "lfw-deepfunneled"),
      "--pairs",
      smallPairs("pairsDevTest.txt", 20, 500),
      "--train-pairs",
      smallPairs("pairsDevTrain.txt", 20, 1100),
      "--roc",
      join(work, "roc"),
      "--json",
      "--no-cache",
    );
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    for (const key of ["accuracy", "tar_at_far_1e-3", "eer", "failures"]) expect(report).toHaveProperty(key);
    expect(report.pairs).toBe(40);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(report.failures).toBe(0);
    expect(readFileSync(join(work, "roc.csv"), "utf8").split("\n")[0]).toBe("threshold,far,tar");
    expect(readFileSync(join(work, "roc.svg"), "utf8")).toContain("<svg");
  });

  it("eval lfw cross-validates over the folds of a multi-fold (View 2 layout) file", async () => {
    // Two folds of ten matched and ten mismatched pairs each, taken from View 1's test list.
    const lines = readFileSync(shared("data", "lfw", "pairsDevTest.txt"), "utf8")
      .trim()
      .split("\n")
      .slice(1);
    const fold = (k: number) => [...lines.slice(10 * k, 10 * k + 10), ...lines.slice(500 + 10 * k, 510 + 10 * k)];
    const path = join(work, "view2-style.txt");
    writeFileSync(path, ["2\t10", ...fold(0), ...fold(1)].join("\n"));
    const r = await facerec(
      "eval",
      "lfw",
      "--root",
      shared("data", "lfw", "lfw-deepfunneled"),
      "--pairs",
      path,
      "--roc",
      join(work, "cv"),
      "--json",
      "--no-cache",
    );
    const report = JSON.parse(r.stdout);
    expect(report.protocol).toBe("2-fold cross-validation");
    expect(report.pairs).toBe(40);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it("eval pad reports APCER, BPCER, ACER and BPCER at APCER 5% for each liveness model", async () => {
    const list = (name: string): string => {
      const lines = readFileSync(shared("data", "nuaa", "splits", name), "utf8")
        .trim()
        .split("\n");
      const path = join(work, name);
      writeFileSync(path, lines.filter((_, i) => i % 100 === 0).join("\n"));
      return path;
    };
    const r = await facerec(
      "eval",
      "pad",
      "--root",
      shared("data", "nuaa", "Detectedface"),
      "--real",
      list("real_train.txt"),
      "--spoof",
      list("spoof_train.txt"),
      "--sessions",
      "--shifts",
      "--photos",
      LFW_ROOT,
      "--photo-count",
      "12",
      "--json",
    );
    const report = JSON.parse(r.stdout);
    for (const key of ["apcer", "bpcer", "acer", "bpcer_at_apcer_5"]) expect(report[key]).toBeTypeOf("number");
    expect(report.model).toBe("liveness128");
    expect(report.models.map((m: { model: string }) => m.model)).toEqual(["liveness128", "minifasnet"]);
    expect(report.bona_fide).toBe(18);
    // The operating threshold is the pack's, and each session left out is read at one fitted on the other.
    expect(report.operating_threshold).toBe(0.027);
    type Fold = { held_out: string; bona_fide: number; attacks: number; threshold: number; apcer: number };
    const folds: Fold[] = report.sessions;
    expect(folds.map((f) => f.held_out)).toEqual(["01", "02"]);
    expect(folds.reduce((n, f) => n + f.bona_fide + f.attacks, 0)).toBe(report.bona_fide + report.attacks);
    for (const f of folds) expect(f.apcer).toBeGreaterThanOrEqual(0);
    // Every shift is read for both models, at their operating thresholds, and the worst APCER is named.
    type Shifted = { model: string; threshold: number; worst_apcer: number; rows: { shift: string; apcer: number }[] };
    const shifts: Shifted[] = report.shifts;
    expect(shifts.map((s) => s.model)).toEqual(["liveness128", "minifasnet"]);
    expect(shifts[0]?.threshold).toBe(0.027);
    for (const s of shifts) {
      expect(s.rows.map((row) => row.shift)).toEqual(PHOTOMETRIC_SHIFTS.map((shift) => shift.id));
      expect(s.worst_apcer).toBe(Math.max(...s.rows.map((row) => row.apcer)));
    }
    // Real photos: all bona fide, so what the threshold refuses of them is BPCER on web photos.
    expect(report.photos.map((p: { model: string; photos: number }) => [p.model, p.photos])).toEqual([
      ["liveness128", 12],
      ["minifasnet", 12],
    ]);
  });

  it("eval challenge plays photo attacks to the active liveness check, and none passes", async () => {
    // ORL's s1 holds the set's largest turn (3) and closed eyes (9): the photos most likely to fool it.
    const r = await facerec("eval", "challenge", "--root", shared("data", "orl_att_faces", "png"), "--subjects", "1", "--json");
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ photos: 10, noFace: 0 });
    expect(report.attacks.map((a: { attack: string }) => a.attack)).toEqual([
      "still photo",
      "hand-held photo",
      "photo turned and tipped",
    ]);
    for (const a of report.attacks) {
      expect(a.sequences).toBe(10);
      expect(a.apcerTwoSteps).toBe(0);
    }
    // A still photo and a wandering hand never read as an action at all.
    expect(report.attacks[0].showedAnAction + report.attacks[1].showedAnAction).toBe(0);
  });

  it("detect draws the faces it finds, numbered as it lists them", async () => {
    const out = join(work, "annotated.png");
    const photo = shared("data", "faceapi_bbt", "group", "bbt4.jpg");
    const r = await facerec("detect", photo, "--out", out);
    const faces = JSON.parse(r.stdout).faces;
    expect(faces.map((f: { number: number }) => f.number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(readFileSync(out).subarray(1, 4).toString()).toBe("PNG");
    // The numbers are drawn: pure white pixels just above the first box that the photo did not have.
    const { decodeImage } = await import("@facerec/vision");
    const drawn = await decodeImage(readFileSync(out));
    const original = await decodeImage(readFileSync(photo));
    const box = faces[0].box;
    const white = (img: typeof drawn, o: number) => img.data[o] === 255 && img.data[o + 1] === 255 && img.data[o + 2] === 255;
    let added = 0;
    for (let y = Math.max(0, Math.round(box.y) - 12); y < box.y; y++) {
      for (let x = Math.round(box.x); x < box.x + 12; x++) {
        const o = (y * drawn.width + x) * 3;
        if (white(drawn, o) && !white(original, o)) added++;
      }
    }
    expect(added).toBeGreaterThan(3);
  });

  it("compare says which face of a group photo it compared", async () => {
    const ex = (f: string) => shared("data", "facerec_examples", "knn_examples", f);
    const r = JSON.parse((await facerec("compare", ex("train/obama/obama.jpg"), ex("test/obama_and_biden.jpg"))).stdout);
    expect(r.note).toMatch(/obama_and_biden\.jpg holds [2-9] faces: the largest face of each was compared/);
    expect(r.compared.b).toMatchObject({ width: expect.any(Number), height: expect.any(Number) });
    const single = JSON.parse((await facerec("compare", ex("train/obama/obama.jpg"), ex("train/obama/obama2.jpg"))).stdout);
    expect(single.note).toBeUndefined();
  });

  it("compare decides same and different people with the pack's threshold", async () => {
    const lfw = (n: string, i: number) => shared("data", "lfw", "lfw-deepfunneled", n, `${n}_000${i}.jpg`);
    const same = JSON.parse((await facerec("compare", lfw("Aaron_Peirsol", 1), lfw("Aaron_Peirsol", 2))).stdout);
    const diff = JSON.parse((await facerec("compare", lfw("Aaron_Peirsol", 1), lfw("George_W_Bush", 1))).stdout);
    expect(same.decision).toBe("same person");
    expect(diff.decision).toBe("different people");
    expect(same.similarity).toBeGreaterThan(diff.similarity);
  });

  it("embed prints a unit vector", async () => {
    const r = await facerec("embed", shared("data", "facerec_examples", "misc", "obama_small.jpg"));
    const v: number[] = JSON.parse(r.stdout).embedding;
    expect(v).toHaveLength(512);
    expect(Math.hypot(...v)).toBeCloseTo(1, 3);
  });

  it("fails with a clear message and no stack trace on a non-image or unknown command", async () => {
    const text = join(work, "notes.jpg");
    writeFileSync(text, "meeting notes, not a photo");
    const bad = await facerec("detect", text);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`facerec: ${text}: the data is not a JPEG, PNG, WebP or GIF image (unrecognised signature)\n`);
    // A folder, a missing file: one line naming it, exit code 66 (cannot open input).
    for (const [path, why] of [
      [work, "it is a folder; give an image file"],
      [join(work, "missing.jpg"), "no such file or folder"],
    ] as const) {
      const r = await facerec("embed", path);
      expect(r.code).toBe(66);
      expect(r.stderr).toBe(`facerec: cannot read ${path}: ${why}\n`);
    }
    const unknown = await facerec("frobnicate");
    expect(unknown.code).toBe(64);
    expect(existsSync(cli)).toBe(true);
  });
});
