import type { Gallery, ReviewStore } from "@facerec/gallery";
import type { DeliveryQueue, WebhookStore } from "@facerec/notify";
import { PersonalDataRegistry, type PersonalDataStore } from "@facerec/privacy";
import type { ChallengeStore } from "./challenge-store.js";

/**
 * The gallery: the subject record, its templates and negatives with their vectors (in every index,
 * graph snapshots and centroid graphs included) and retained crops. Runs last: it holds the subject.
 */
export function galleryData(gallery: Gallery): PersonalDataStore {
  return {
    name: "templates",
    last: true,
    async erase(tenant, subject) {
      const templates = gallery.templatesOf(tenant, subject.id);
      const negatives = gallery.negativesOf(tenant, subject.id).length;
      const crops = templates.filter((t) => t.crop).length;
      await gallery.deleteSubject(tenant, subject.id);
      return {
        removed: templates.length,
        detail: `${templates.length} templates, ${negatives} negatives, ${crops} crops, their vectors and the subject record`,
      };
    },
    async export(tenant, subject) {
      const templates = gallery.templatesOf(tenant, subject.id);
      const negatives = gallery.negativesOf(tenant, subject.id);
      const crops = templates.filter((t) => t.crop).length;
      return {
        held: `${templates.length} face templates (embeddings, not included), ${negatives.length} faces of other people marked "not this subject", ${crops} aligned face crops`,
        records: [
          ...templates.map((t) => ({
            kind: "template",
            id: t.id,
            model: t.model,
            createdAt: t.createdAt,
            cropRetained: Boolean(t.crop),
          })),
          ...negatives.map((t) => ({ kind: "negative", id: t.id, model: t.model, createdAt: t.createdAt })),
        ],
      };
    },
  };
}

/**
 * The review queue: faces decided as the subject by a close call, or with the subject as their best
 * candidate, go with their crops; other faces lose the subject from their candidates.
 */
export function reviewData(review: ReviewStore): PersonalDataStore {
  return {
    name: "review-queue",
    async erase(tenant, subject) {
      const { faces, mentions } = await review.eraseSubject(tenant, subject.id);
      return { removed: faces, detail: `${faces} faces with their crops, ${mentions} other faces' candidate lists` };
    },
    async export(tenant, subject) {
      const faces = await review.facesOf(tenant, subject.id);
      return {
        held: `${faces.length} faces in the review queue that name the subject (embeddings not included)`,
        records: faces.map((f) => ({
          kind: "review-face",
          id: f.id,
          camera: f.camera,
          time: f.time,
          outcome: f.outcome,
          cropRetained: f.hasCrop,
          ...(f.subjectId ? { subjectId: f.subjectId } : {}),
          candidates: f.candidates,
        })),
      };
    },
  };
}

/** Open active liveness challenges that check their answers against the subject. */
export function challengeData(challenges: ChallengeStore): PersonalDataStore {
  return {
    name: "liveness-challenges",
    async erase(tenant, subject) {
      const removed = await challenges.eraseSubject(tenant, subject.id);
      return { removed, detail: `${removed} open challenges` };
    },
    async export(tenant, subject) {
      const open = await challenges.ofSubject(tenant, subject.id);
      return {
        held: `${open.length} open liveness challenges naming the subject (poses and scores, never a frame)`,
        records: open.map((c) => ({
          kind: "challenge",
          id: c.id,
          actions: c.actions,
          frames: c.frames.length,
          expiresAt: new Date(c.expiresAt).toISOString(),
        })),
      };
    },
  };
}

/**
 * The tenants' webhooks: a `subjects` filter names the people a tenant follows. The erased subject's id
 * leaves every filter; a webhook that followed that subject alone is deleted (left empty, its filter
 * would follow everyone).
 */
export function webhookData(webhooks: WebhookStore): PersonalDataStore {
  return {
    name: "webhook-filters",
    async erase(tenant, subject) {
      const { filters, deleted } = await webhooks.forgetSubject(tenant, subject.id);
      return { removed: filters, detail: `${filters} webhook filters, ${deleted} webhooks that followed the subject alone` };
    },
    async export(tenant, subject) {
      const naming = (await webhooks.list(tenant)).filter((h) => h.subjects.includes(subject.id));
      return {
        held: `${naming.length} webhooks whose filter follows the subject`,
        records: naming.map((h) => ({ kind: "webhook", id: h.id, createdAt: h.createdAt })),
      };
    },
  };
}

/**
 * Webhook deliveries a queue holds (waiting, retrying, and on BullMQ the completed and failed it keeps):
 * each carries its decision, with the subject's id and name. Erasure removes those naming the subject;
 * one under way is not retried.
 */
export function webhookDeliveryData(queue: Pick<DeliveryQueue, "naming" | "forgetSubject">): PersonalDataStore {
  return {
    name: "webhook-deliveries",
    async erase(tenant, subject) {
      const { removed, underWay } = await queue.forgetSubject(tenant, subject.id);
      return {
        removed,
        detail: `${removed} queued webhook deliveries naming the subject${underWay ? `, ${underWay} under way (not retried)` : ""}`,
      };
    },
    async export(tenant, subject) {
      const jobs = await queue.naming(tenant, subject.id);
      return {
        held: `${jobs.length} webhook deliveries the queue holds that name the subject`,
        records: jobs.map((j) => ({ kind: "webhook-delivery", id: j.deliveryId, webhookId: j.webhookId })),
      };
    },
  };
}

/**
 * The registry over the product's stores that keep anything about a person. API keys, tenant policies
 * and the audit trail name no person (the trail is kept by law and holds no image); a process that
 * keeps more (the job queue) registers it too.
 */
export function productPersonalData(stores: {
  gallery: Gallery;
  review?: ReviewStore;
  challenges?: ChallengeStore;
  webhooks?: WebhookStore;
}): PersonalDataRegistry {
  const registry = new PersonalDataRegistry();
  if (stores.review) registry.register(reviewData(stores.review));
  if (stores.challenges) registry.register(challengeData(stores.challenges));
  if (stores.webhooks) registry.register(webhookData(stores.webhooks));
  return registry.register(galleryData(stores.gallery));
}
