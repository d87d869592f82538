import type { ApiKeyRecord, ApiKeyStore, Scope } from "@facerec/auth";
import type { OperationContext } from "../context.js";
import { BadRequestError } from "../errors.js";

/** An API key as the API shows it: never the hash of its secret. */
export type KeyView = Omit<ApiKeyRecord, "secretSha256">;

/** The tenant's API keys: create (shown once), list, revoke. */
export function keyOperations(ctx: OperationContext) {
  const { keys } = ctx;
  return {
    /** Create an API key in the caller's tenant; the key is in the answer once and never again. */
    createKey: ctx.operation(
      "createKey",
      async (call, name: string, scopes: string[], cameras?: string[]): Promise<{ key: string; record: KeyView }> => {
        if (name.length < 1 || name.length > ctx.limits.subjectName)
          throw new BadRequestError(`name must be 1-${ctx.limits.subjectName} characters (got ${name.length})`);
        let created: Awaited<ReturnType<ApiKeyStore["create"]>>;
        try {
          created = await keys.create(call.tenant, name, scopes as Scope[], cameras);
        } catch (error) {
          if (error instanceof RangeError) throw new BadRequestError(error.message);
          throw error;
        }
        await call.record(`created ${created.record.id}`);
        const { secretSha256: _, ...record } = created.record;
        return { key: created.key, record };
      },
    ),

    listKeys: ctx.operation("listKeys", async (call): Promise<KeyView[]> => keys.list(call.tenant)),

    /** Revoke a key of the caller's tenant; every replica refuses it within the documented bound. */
    revokeKey: ctx.operation("revokeKey", async (call, id: string): Promise<KeyView> => {
      ctx.checkId("id", id);
      const revoked = await keys.revoke(call.tenant, id);
      await call.record(`revoked ${id}`);
      return revoked;
    }),
  };
}
