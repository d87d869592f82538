import { NotFoundError, type ReviewCluster, type ReviewItem, reviewClusterOf, type Subject } from "@facerec/gallery";
import type { OperationContext } from "../context.js";
import { BadRequestError } from "../errors.js";

/** A face in the review queue as the API shows it: never its embedding. */
export type ReviewFace = Omit<ReviewItem, "vector" | "tenant" | "cluster" | "model">;

/** Clusters a review page lists at most. */
const REVIEW_PAGE = 100;

/** The review queue: clusters of unknown faces and close calls, named or dismissed by an operator. */
export function reviewOperations(ctx: OperationContext) {
  const { gallery } = ctx;
  return {
    /** The tenant's clusters of unknown faces, the most recently seen first. */
    listReviewClusters: ctx.operation(
      "listReviewClusters",
      async (call, limit: number = REVIEW_PAGE, offset: number = 0): Promise<{ clusters: ReviewCluster[]; total: number }> => {
        if (!Number.isInteger(offset) || offset < 0) throw new BadRequestError("offset must be a whole number, 0 or more");
        return ctx.reviewStore().clusters(call.tenant, Math.min(Math.max(1, limit), REVIEW_PAGE), offset);
      },
    ),

    /** One cluster and its faces (where and when each was seen, the nearest subjects then). */
    getReviewCluster: ctx.operation(
      "getReviewCluster",
      async (call, id: string): Promise<{ cluster: ReviewCluster; faces: ReviewFace[] }> => {
        ctx.checkId("id", id);
        const items = await ctx.reviewStore().items(call.tenant, id);
        const first = items[0];
        if (!first) throw new NotFoundError(`no review cluster ${id} in this tenant`);
        return {
          cluster: reviewClusterOf(call.tenant, first.model, id, items),
          faces: items.map(({ vector: _, tenant: __, cluster: ___, model: ____, ...face }) => face),
        };
      },
    ),

    /** A queued face's aligned crop (PNG), kept where crop retention is on. */
    getReviewFaceCrop: ctx.operation("getReviewFaceCrop", async (call, id: string): Promise<Uint8Array> => {
      ctx.checkId("id", id);
      const png = await ctx.reviewStore().crop(call.tenant, id);
      if (!png)
        throw new NotFoundError(`no kept crop for review face ${id} in this tenant (crops are kept only with crop retention on)`);
      return png;
    }),

    /**
     * Name a cluster: its faces become templates of an existing subject (`subjectId`) or of a new one
     * (`name`), those under the gallery's quality floor left out, and the cluster leaves the queue.
     */
    assignReviewCluster: ctx.operation(
      "assignReviewCluster",
      async (
        call,
        id: string,
        to: { subjectId?: string; name?: string },
      ): Promise<{ subject: Subject; templates: number; skipped: number }> => {
        const store = ctx.reviewStore();
        ctx.checkId("id", id);
        if (to.subjectId !== undefined) ctx.checkId("subjectId", to.subjectId);
        if (!to.subjectId === !to.name) throw new BadRequestError("give either subjectId or name");
        if (to.name !== undefined) ctx.checkSubject({ name: to.name, metadata: {} });
        // The subject is checked before the cluster is taken, so a wrong id loses nothing.
        const existing = to.subjectId ? await gallery.findSubject(call.tenant, to.subjectId) : undefined;
        if (existing) await ctx.requireSubjectConsent(call.tenant, existing);
        else
          await ctx.requireConsent(
            call.tenant,
            "make a subject of a review cluster (create the subject with consent, then assign to it)",
          );
        if (!(await store.items(call.tenant, id)).length) throw new NotFoundError(`no review cluster ${id} in this tenant`);
        const subject = existing ?? (await gallery.createSubject(call.tenant, to.name as string, {}));
        const items = await store.take(call.tenant, id);
        const usable = items.filter((i) => i.model === ctx.modelId && i.quality >= gallery.policy.minQuality);
        // A group is often one person seen many times alike: only the faces that differ become templates.
        const added = usable.length
          ? (
              await gallery.enrol(
                call.tenant,
                subject.id,
                ctx.modelId,
                usable.map((i) => ({ vector: i.vector, quality: i.quality, ...(i.crop ? { crop: i.crop } : {}) })),
              )
            ).templates.length
          : 0;
        const skipped = items.length - added;
        await call.record(`assigned ${id}: ${added} templates, ${skipped} skipped`, { subjectId: subject.id });
        return { subject, templates: added, skipped };
      },
    ),

    /** Dismiss a cluster: its faces leave the queue and are not kept anywhere. */
    dismissReviewCluster: ctx.operation("dismissReviewCluster", async (call, id: string): Promise<{ faces: number }> => {
      ctx.checkId("id", id);
      const items = await ctx.reviewStore().take(call.tenant, id);
      if (!items.length) throw new NotFoundError(`no review cluster ${id} in this tenant`);
      await call.record(`dismissed ${id}: ${items.length} faces`);
      return { faces: items.length };
    }),
  };
}
