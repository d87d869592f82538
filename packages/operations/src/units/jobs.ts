import { isToken } from "@facerec/common";
import { NotFoundError } from "@facerec/gallery";
import { insideImportRoot, type JobSpec, type Jobs, type JobView, OutsideImportError } from "@facerec/pipeline";
import type { PersonalDataStore } from "@facerec/privacy";
import type { OperationContext } from "../context.js";
import { BadRequestError } from "../errors.js";

/** What a caller asks for: a job kind and the fields it takes (checked here, for both transports). */
export type JobRequest = { kind: JobSpec["kind"]; folder?: string; subjectId?: string };

/** Long jobs on Redis: start one for the caller's tenant, read its state. */
export function jobOperations(ctx: OperationContext) {
  const { gallery } = ctx;
  return {
    /**
     * Start a long job for the caller's tenant. Erasure needs the enrol scope, every other kind admin.
     * Bulk enrolment reads only below the import folder the operator configured (FACEREC_IMPORT_DIR),
     * never anywhere a request names.
     */
    startJob: ctx.operation("startJob", async (call, request: JobRequest, idempotencyKey?: string): Promise<JobView> => {
      if (request.kind !== "erase") call.require("admin");
      if (request.kind === "enrol-folder" && !request.folder) throw new BadRequestError("an enrol-folder job needs folder");
      if (request.kind === "erase" && !request.subjectId) throw new BadRequestError("an erase job needs subjectId");
      if (request.subjectId !== undefined) ctx.checkId("subjectId", request.subjectId);
      if (idempotencyKey !== undefined && !isToken(idempotencyKey)) {
        throw new BadRequestError("an idempotency key is 1-64 letters, digits, _ or -");
      }
      if (request.kind === "enrol-folder") {
        await ctx.requireConsent(call.tenant, "enrol a folder (a folder carries no consent records: enrol each person with one)");
      }
      const jobs = ctx.jobs();
      const tenant = call.tenant;
      let spec: JobSpec;
      if (request.kind === "enrol-folder") {
        let folder: string;
        try {
          folder = await insideImportRoot(jobs.importRoot, request.folder as string);
        } catch (error) {
          if (error instanceof OutsideImportError) throw new BadRequestError(error.message);
          throw error;
        }
        spec = { kind: "enrol-folder", folder, tenant };
      } else if (request.kind === "erase") spec = { kind: "erase", subjectId: request.subjectId as string, tenant };
      else spec = { kind: request.kind, tenant };
      if (spec.kind === "erase") await gallery.findSubject(call.tenant, spec.subjectId);
      const job = await jobs.queue.add(spec, idempotencyKey);
      await call.record("queued", spec.kind === "erase" ? { subjectId: spec.subjectId } : {}, {
        requestId: job.id,
        qualifier: spec.kind,
      });
      return job;
    }),

    getJob: ctx.operation("getJob", async (call, id: string): Promise<JobView> => {
      ctx.checkId("id", id);
      const job = await ctx.jobs().queue.get(call.tenant, id);
      if (!job) throw new NotFoundError(`no job ${id} in this tenant`);
      return job;
    }),
  };
}

/**
 * The job queue's records: an enrol-folder job keeps the names of the folders it has done (so that a
 * retry skips them), and a folder is named after its person.
 */
export function jobRecordData(queue: Jobs): PersonalDataStore {
  return {
    name: "job-records",
    async erase(tenant, subject) {
      const removed = (await queue.forget(tenant, subject)) ? 1 : 0;
      return { removed, detail: `${removed} enrolment jobs' folder names` };
    },
    async export(_tenant, subject) {
      return {
        held: subject.metadata.job
          ? `the name of the folder enrolment job ${subject.metadata.job} read the subject from, while the job is kept`
          : "nothing: the subject was not enrolled by a job",
        records: [],
      };
    },
  };
}
