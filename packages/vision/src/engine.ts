import { alignFace } from "./align.js";
import { DEFAULT_DETECT_OPTIONS, type Detection, type DetectOptions, type FaceDetector } from "./detect/types.js";
import { UltraFaceDetector } from "./detect/ultraface.js";
import { AnchorDetector } from "./detect/yunet.js";
import { Embedder } from "./embed.js";
import { ModelPackError } from "./errors.js";
import type { Point } from "./geometry.js";
import type { Image } from "./image.js";
import { fivePointsFrom68, Landmarks68 } from "./landmarks.js";
import { LivenessModel } from "./liveness.js";
import { LivenessHead, type LivenessScorer } from "./liveness-head.js";
import { ModelCatalogue, type ResolvedModel } from "./model-pack.js";
import { type FacePose, poseOf } from "./pose.js";
import { assessQuality, type QualityReport } from "./quality.js";
import { createSession, DEFAULT_EMBEDDER_THREADS, type SessionOptions } from "./session.js";
import { type Tuning, tunedEmbedderSession } from "./tune.js";

/**
 * Bumped whenever preprocessing changes what the same models produce (crop rules, landmark reduction,
 * colour handling), so that cached embeddings from an older pipeline are not reused.
 */
export const PIPELINE_VERSION = 2;

export interface EngineConfig {
  /** Model ids from the catalogue; each defaults to the default pack's model for the role. */
  detector?: string;
  /**
   * A 68-point landmark model id, or "detector" to align on the detector's own five points. Defaults to
   * the detector's points when it gives them, else the pack's landmark model.
   */
  landmarks?: string;
  embedder?: string;
  /** A liveness model id, or "none" to load no liveness model. */
  liveness?: string;
  /** A liveness head file (`facerec train liveness-head`) to score with instead of one model. */
  livenessHead?: string;
  /** Extra manifest files to add to the built-in catalogue. */
  manifests?: string[];
  session?: SessionOptions;
  detect?: Partial<DetectOptions>;
  embedBatch?: number;
  flip?: boolean;
}

export interface Face {
  box: Detection["box"];
  detectorScore: number;
  /** Five ArcFace-order points used for alignment. */
  landmarks: Point[];
  /** 112x112 RGB crop aligned to the ArcFace template. */
  aligned: Image;
  quality: QualityReport;
  /** Probability the face is live (not a photo or screen), when liveness ran. */
  liveness?: number;
  embedding?: Float32Array;
}

export interface AnalyseOptions {
  embed?: boolean;
  liveness?: boolean;
}

/** The whole per-image pipeline: detect, landmarks, align, quality, liveness, embed. */
export class FaceEngine {
  private constructor(
    readonly detector: FaceDetector,
    readonly landmarker: Landmarks68 | undefined,
    readonly embedder: Embedder,
    readonly liveness: LivenessScorer | undefined,
    private readonly config: EngineConfig,
    /** How the embedder's graph optimisation level was chosen (absent when FACEREC_GRAPH_OPT set it). */
    readonly tuning: Tuning | undefined,
  ) {}

  static async create(config: EngineConfig = {}): Promise<FaceEngine> {
    const catalogue = ModelCatalogue.builtIn(config.manifests);
    const session = (m: ResolvedModel) => createSession(m.path, config.session);
    const det = catalogue.resolve("detector", config.detector);
    const detSession = await session(det);
    const detector = det.decoder === "ultraface" ? new UltraFaceDetector(detSession, det) : new AnchorDetector(detSession, det);
    // A detector that gives five points aligns on them unless a landmark model is asked for: on LFW View 1,
    // YuNet's own points reached 99.40% and the 68-point model on YuNet's boxes 99.00%.
    const givesPoints = det.decoder !== "ultraface";
    const landmarks = config.landmarks ?? (givesPoints ? "detector" : undefined);
    let landmarker: Landmarks68 | undefined;
    if (landmarks !== "detector") {
      const lm = catalogue.resolve("landmarks", landmarks);
      landmarker = new Landmarks68(await createSession(lm.path, { ...config.session, dynamicBatch: true }), lm);
    } else if (!givesPoints) {
      throw new ModelPackError(`detector "${det.id}" gives no landmarks; choose a landmark model (--landmarks landmarks68)`);
    }
    const emb = catalogue.resolve("embedder", config.embedder);
    const embOptions: SessionOptions = {
      ...config.session,
      intraOpThreads: config.session?.intraOpThreads ?? DEFAULT_EMBEDDER_THREADS,
      spinning: false,
      dynamicBatch: true,
    };
    const batch = config.embedBatch ?? 8;
    // The embedder's graph optimisation level is measured on this machine unless FACEREC_GRAPH_OPT
    // sets one (see TUNED_LEVELS); the other models run at "all", faster for them here (detector 4.8
    // against 7.0 ms a 640x480 frame, landmarks 1.6 against 2.2).
    const { session: embSession, tuning } = config.session?.graphOptimization
      ? { session: await createSession(emb.path, embOptions), tuning: undefined }
      : await tunedEmbedderSession(emb, embOptions, batch);
    const embedder = new Embedder(embSession, emb, batch);
    const liveness =
      config.liveness === "none"
        ? undefined
        : config.livenessHead
          ? await FaceEngine.livenessHead(config.livenessHead, config)
          : await FaceEngine.livenessModel(config.liveness, config);
    return new FaceEngine(detector, landmarker, embedder, liveness, config, tuning);
  }

  /** Load one liveness model by id (the default pack's when omitted); `features` also exposes its last layer's input. */
  static async livenessModel(id: string | undefined, config: EngineConfig = {}, features = false): Promise<LivenessModel> {
    const live = ModelCatalogue.builtIn(config.manifests).resolve("liveness", id);
    return new LivenessModel(await createSession(live.path, { ...config.session, dynamicBatch: true, features }), live);
  }

  /** Load a liveness head file and the models whose features it reads. */
  static async livenessHead(path: string, config: EngineConfig = {}): Promise<LivenessHead> {
    const file = LivenessHead.read(path);
    const models = await Promise.all(file.models.map((id) => FaceEngine.livenessModel(id, config, true)));
    return new LivenessHead(models, file);
  }

  /** Identifies the models in use, e.g. for audit entries and cache keys. */
  get modelIds(): { detector: string; landmarks: string; embedder: string; liveness?: string } {
    return {
      detector: this.detector.id,
      landmarks: this.landmarker?.model.id ?? "detector",
      embedder: this.embedder.id,
      ...(this.liveness ? { liveness: this.liveness.id } : {}),
    };
  }

  /** A key naming everything that determines an embedding: models, detection settings, flip, pipeline version. */
  get pipelineKey(): string {
    const ids = this.modelIds;
    const detect = { ...DEFAULT_DETECT_OPTIONS, ...this.config.detect };
    return [
      `v${PIPELINE_VERSION}`,
      ids.detector,
      ids.landmarks,
      ids.embedder,
      // The file's content too: a variant made again (`facerec models quantize`) keeps its id.
      this.embedder.model.sha256.slice(0, 12),
      `s${detect.scoreThreshold}`,
      `m${detect.minFaceSize}`,
      this.flip ? "flip" : "noflip",
    ].join("+");
  }

  /** Whether embeddings add the mirrored crop's (see EmbedOptions.flip). */
  get flip(): boolean {
    return this.config.flip ?? false;
  }

  async detect(img: Image): Promise<Detection[]> {
    return this.detector.detect(img, this.config.detect);
  }

  /** Five alignment points for each detection, from the 68-point model (one batch) or the detector. */
  async fivePoints(img: Image, detections: readonly Detection[]): Promise<Point[][]> {
    if (this.landmarker)
      return (
        await this.landmarker.predictMany(
          img,
          detections.map((d) => d.box),
        )
      ).map(fivePointsFrom68);
    return detections.map((d) => {
      if (!d.landmarks) throw new Error("the detector gave no landmarks for this face");
      return d.landmarks;
    });
  }

  /**
   * Every face's box, pose and five alignment points, from the 68-point model when there is one (pose
   * then includes the eyes' opening) or the detector's five points: what an active liveness check needs
   * of a frame, at the cost of detection and landmarks only.
   */
  async poses(img: Image): Promise<{ box: Detection["box"]; pose: FacePose; landmarks: Point[] }[]> {
    const detections = await this.detect(img);
    if (detections.length === 0) return [];
    const points = this.landmarker
      ? await this.landmarker.predictMany(
          img,
          detections.map((d) => d.box),
        )
      : await this.fivePoints(img, detections);
    return detections.map((d, i) => {
      const p = points[i] as Point[];
      const all68 = p.length === 68 ? p : undefined;
      const landmarks = all68 ? fivePointsFrom68(all68) : p;
      return { box: d.box, pose: poseOf(landmarks, all68), landmarks };
    });
  }

  /** The embedding of a face from its five alignment points (as `poses` gives them). */
  async embedAt(img: Image, landmarks: readonly Point[]): Promise<Float32Array> {
    return (await this.embedder.embed([alignFace(img, [...landmarks])], { flip: this.flip }))[0] as Float32Array;
  }

  async analyse(img: Image, options: AnalyseOptions = {}): Promise<Face[]> {
    const detections = await this.detect(img);
    // Landmarks and liveness run once per frame, the faces batched: one model call each, not one a face.
    const points = await this.fivePoints(img, detections);
    const live =
      options.liveness && this.liveness
        ? await this.liveness.scoreMany(
            img,
            detections.map((d) => d.box),
          )
        : undefined;
    const faces = detections.map((d, i): Face => {
      const landmarks = points[i] as Point[];
      const aligned = alignFace(img, landmarks);
      return {
        box: d.box,
        detectorScore: d.score,
        landmarks,
        aligned,
        quality: assessQuality(d.box, landmarks, aligned, d.score),
        ...(live ? { liveness: live[i] as number } : {}),
      };
    });
    if (options.embed !== false && faces.length > 0) {
      const vectors = await this.embedder.embed(
        faces.map((f) => f.aligned),
        { flip: this.flip },
      );
      faces.forEach((f, i) => {
        f.embedding = vectors[i];
      });
    }
    return faces;
  }

  /** The face to use when an image should show one person: the largest confident face. */
  static primary(faces: readonly Face[]): Face | undefined {
    return [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
  }
}
