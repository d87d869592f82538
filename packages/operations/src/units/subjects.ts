import { randomUUID } from "node:crypto";
import { type ConsentRecord, type NewTemplate, NotFoundError, type Subject, type ThresholdExplanation } from "@facerec/gallery";
import { type ErasureReceipt, type PersonalDataRegistry, receiptText } from "@facerec/privacy";
import { intentKey } from "@facerec/product";
import { encodePng, FaceEngine, ImageError } from "@facerec/vision";
import { type Call, checkConsent, type OperationContext } from "../context.js";
import { BadRequestError, TooLargeError } from "../errors.js";

/** What an erasure answers: the templates it removed, and the receipt of every store it reached. */
export type Erasure = { templatesRemoved: number; receipt: ErasureReceipt };

/** Subjects: create, read, change, enrol photos of, and erase (through the personal-data registry). */
export function subjectOperations(ctx: OperationContext, personalData: PersonalDataRegistry) {
  const { gallery } = ctx;

  /** Every registered store forgets the subject; the receipt goes into the erasure's audit entry. */
  const erase = async (call: Call, id: string): Promise<Erasure> => {
    ctx.checkId("id", id);
    const subject = await gallery.findSubject(call.tenant, id);
    // Local files have no transaction across the stores and the trail: an intent, finished at start
    // if the process stops half way (PostgreSQL erases in the operation's transaction instead).
    const journal = ctx.options.journal;
    const intent = journal?.begin({
      tenant: call.tenant,
      subjectId: id,
      keyId: call.principal.keyId,
      operation: call.spec.audit,
      requestId: randomUUID(),
    });
    const receipt = await personalData.erase(call.tenant, subject);
    await call.record(
      receiptText(receipt),
      { subjectId: id },
      intent ? { requestId: intent.requestId, dedupeKey: intentKey(intent) } : {},
    );
    if (intent) journal?.done(intent.id);
    return { templatesRemoved: receipt.stores.find((s) => s.store === "templates")?.removed ?? 0, receipt };
  };

  return {
    /** Create a subject; under a consent-required policy only with a consent record. */
    createSubject: ctx.operation(
      "createSubject",
      async (call, name: string, metadata: Record<string, string>, consent?: ConsentRecord): Promise<Subject> => {
        ctx.checkSubject({ name, metadata });
        const checked = consent ? checkConsent(consent) : undefined;
        if (!checked) await ctx.requireConsent(call.tenant, "create a subject");
        const subject = await gallery.createSubject(call.tenant, name, metadata, checked);
        // The consent record's text stays with the subject (and goes with it), never in the trail.
        await call.record(checked ? "created with consent" : "created", { subjectId: subject.id });
        return subject;
      },
    ),

    listSubjects: ctx.operation("listSubjects", async (call): Promise<Subject[]> => {
      await gallery.sync();
      return gallery.listSubjects(call.tenant);
    }),

    /**
     * A subject with its template count, the templates whose aligned crop is kept (newest first) and,
     * once it has templates, why its threshold is what it is.
     */
    getSubject: ctx.operation(
      "getSubject",
      async (
        call,
        id: string,
      ): Promise<Subject & { templates: number; cropTemplates: string[]; threshold?: ThresholdExplanation }> => {
        ctx.checkId("id", id);
        const subject = await gallery.findSubject(call.tenant, id);
        const threshold = gallery.explainThreshold(call.tenant, ctx.modelId, id);
        const templates = gallery.templatesOf(call.tenant, id);
        const cropTemplates = templates
          .filter((t) => t.crop)
          .map((t) => t.id)
          .reverse();
        return { ...subject, templates: templates.length, cropTemplates, ...(threshold ? { threshold } : {}) };
      },
    ),

    /** The aligned crop (PNG) of one of a subject's templates, or of its newest with a crop kept. */
    getSubjectCrop: ctx.operation(
      "getSubjectCrop",
      async (call, id: string, templateId?: string): Promise<{ png: Uint8Array; templateId: string }> => {
        ctx.checkId("id", id);
        if (templateId) ctx.checkId("templateId", templateId);
        await gallery.findSubject(call.tenant, id);
        const kept = gallery.templatesOf(call.tenant, id).filter((t) => t.crop && (!templateId || t.id === templateId));
        const chosen = kept.at(-1);
        const png = chosen ? await gallery.cropOf(chosen) : undefined;
        if (!chosen || !png) {
          throw new NotFoundError(
            `no kept crop for ${templateId ? `template ${templateId} of ` : ""}subject ${id} (crops are kept only with crop retention on)`,
          );
        }
        return { png, templateId: chosen.id };
      },
    ),

    /** Rename a subject, replace its metadata, or record its consent. */
    updateSubject: ctx.operation(
      "updateSubject",
      async (call, id: string, change: { name?: string; metadata?: Record<string, string>; consent?: ConsentRecord }) => {
        ctx.checkId("id", id);
        ctx.checkSubject(change);
        const consent = change.consent ? checkConsent(change.consent) : undefined;
        const subject = await gallery.updateSubject(call.tenant, id, { ...change, ...(consent ? { consent } : {}) });
        await call.record(consent ? "updated, consent recorded" : "updated", { subjectId: id });
        return subject;
      },
    ),

    /** Erasure: every store that keeps anything about the subject forgets it; the answer is the receipt. */
    deleteSubject: ctx.operation("deleteSubject", erase),

    /** The person withdrew consent: erased as by deleteSubject, audited as a withdrawal. */
    withdrawConsent: ctx.operation("withdrawConsent", erase),

    /** Enrol one template per image; an image without exactly one usable face is refused, the rest go in. */
    enroll: ctx.operation(
      "enroll",
      async (
        call,
        subjectId: string,
        images: Uint8Array[],
      ): Promise<{ templateIds: string[]; rejected: { index: number; reason: string }[] }> => {
        ctx.checkId("subjectId", subjectId);
        if (images.length === 0) throw new BadRequestError("give at least one image");
        if (images.length > ctx.limits.enrolImages) {
          throw new TooLargeError(`${images.length} images; one enrolment takes at most ${ctx.limits.enrolImages}`);
        }
        for (const [i, bytes] of images.entries()) ctx.checkImage(bytes, `image ${i}`);
        await ctx.requireSubjectConsent(call.tenant, await gallery.findSubject(call.tenant, subjectId));
        const accepted: NewTemplate[] = [];
        /** Where each accepted face came from: its photo's place in the request. */
        const photoOf: number[] = [];
        const rejected: { index: number; reason: string }[] = [];
        const { minQuality } = gallery.policy;
        for (const [index, bytes] of images.entries()) {
          try {
            const face = FaceEngine.primary(await call.admitted(() => ctx.analyse("enroll", bytes, false)));
            if (!face?.embedding) rejected.push({ index, reason: "no face found" });
            else if (face.quality.score < minQuality)
              rejected.push({ index, reason: `face quality ${face.quality.score.toFixed(2)} is below ${minQuality}` });
            // The aligned crop goes with it; the gallery keeps it only where crops are retained (for re-embedding).
            else {
              accepted.push({ vector: face.embedding, quality: face.quality.score, crop: await encodePng(face.aligned) });
              photoOf.push(index);
            }
          } catch (error) {
            if (!(error instanceof ImageError)) throw error;
            rejected.push({ index, reason: `${error.code}: ${error.message}` });
          }
        }
        return call.atomic(async () => {
          const { templates, skipped } = accepted.length
            ? await gallery.enrol(call.tenant, subjectId, ctx.modelId, accepted)
            : { templates: [], skipped: [] };
          // A near-copy of a held template, or one past the most, is refused like a photo without a face.
          for (const s of skipped) rejected.push({ index: photoOf[s.index] as number, reason: s.reason });
          rejected.sort((a, b) => a.index - b.index);
          const enrolled = `enrolled ${templates.length}`;
          await call.record(rejected.length ? `${enrolled}, rejected ${rejected.length}` : enrolled, { subjectId });
          return { templateIds: templates.map((t) => t.id), rejected };
        });
      },
    ),
  };
}
