import { createHash } from "node:crypto";
import { QdrantClient } from "@qdrant/js-client-rest";
import type { IndexFilter, IndexPoint, SearchHit, VectorIndex } from "./types.js";

export interface QdrantIndexOptions {
  url: string;
  apiKey?: string;
  dims: number;
  /** Collection names are `${prefix}${model}`; one collection per embedding model. */
  prefix?: string;
  /** Points per upsert request. */
  batchSize?: number;
}

/** Qdrant ids are UUIDs or integers: derive a stable UUID from our id and keep the id itself in the payload. */
function pointId(id: string): string {
  const h = createHash("sha1").update(id).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

const match = (key: string, value: string) => ({ key, match: { value } });

/** The vector index on a Qdrant server, through the official REST client. */
export class QdrantIndex implements VectorIndex {
  private readonly client: QdrantClient;
  private readonly ready = new Map<string, Promise<void>>();

  constructor(private readonly options: QdrantIndexOptions) {
    this.client = new QdrantClient({ url: options.url, ...(options.apiKey ? { apiKey: options.apiKey } : {}) });
  }

  private collection(model: string): string {
    return `${this.options.prefix ?? "facerec_"}${model.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  }

  /** Create the model's collection and its payload indexes once, idempotently. */
  private ensure(model: string): Promise<void> {
    const name = this.collection(model);
    let pending = this.ready.get(name);
    if (!pending) {
      pending = (async () => {
        const { exists } = await this.client.collectionExists(name);
        if (!exists) {
          await this.client.createCollection(name, { vectors: { size: this.options.dims, distance: "Cosine" } });
        }
        for (const field of ["tenant", "subject"]) {
          await this.client.createPayloadIndex(name, { field_name: field, field_schema: "keyword", wait: true });
        }
      })();
      pending.catch(() => this.ready.delete(name));
      this.ready.set(name, pending);
    }
    return pending;
  }

  async upsert(points: readonly IndexPoint[]): Promise<void> {
    const byModel = new Map<string, IndexPoint[]>();
    for (const p of points) {
      if (p.vector.length !== this.options.dims) {
        throw new RangeError(`vector ${p.id} has ${p.vector.length} dims; this index holds ${this.options.dims}`);
      }
      byModel.set(p.model, [...(byModel.get(p.model) ?? []), p]);
    }
    const size = this.options.batchSize ?? 256;
    for (const [model, list] of byModel) {
      await this.ensure(model);
      for (let i = 0; i < list.length; i += size) {
        await this.client.upsert(this.collection(model), {
          wait: true,
          points: list.slice(i, i + size).map((p) => ({
            id: pointId(`${p.tenant}/${p.id}`),
            vector: Array.from(p.vector),
            payload: { id: p.id, tenant: p.tenant, subject: p.subject },
          })),
        });
      }
    }
  }

  async delete(filter: IndexFilter, ids: readonly string[]): Promise<void> {
    await this.ensure(filter.model);
    await this.client.delete(this.collection(filter.model), {
      wait: true,
      points: ids.map((id) => pointId(`${filter.tenant}/${id}`)),
    });
  }

  async deleteSubject(tenant: string, subject: string): Promise<number> {
    const { collections } = await this.client.getCollections();
    const prefix = this.options.prefix ?? "facerec_";
    let removed = 0;
    for (const { name } of collections.filter((c) => c.name.startsWith(prefix))) {
      const filter = { must: [match("tenant", tenant), match("subject", subject)] };
      removed += (await this.client.count(name, { filter, exact: true })).count;
      await this.client.delete(name, { wait: true, filter });
    }
    return removed;
  }

  async search(query: Float32Array, k: number, filter: IndexFilter): Promise<SearchHit[]> {
    await this.ensure(filter.model);
    const hits = await this.client.search(this.collection(filter.model), {
      vector: Array.from(query),
      limit: k,
      filter: { must: [match("tenant", filter.tenant)] },
      with_payload: true,
    });
    return hits.map((h) => ({ id: String(h.payload?.id), subject: String(h.payload?.subject), score: h.score }));
  }

  /** Every point of a filtered scroll, a page at a time. */
  private async scrollAll(
    model: string,
    must: ReturnType<typeof match>[],
    want: { with_vector: boolean; with_payload: boolean | string[] },
  ): Promise<{ vector?: unknown; payload?: Record<string, unknown> | null }[]> {
    await this.ensure(model);
    const out = [];
    let offset: string | number | undefined | null;
    do {
      const page = await this.client.scroll(this.collection(model), {
        filter: { must },
        ...want,
        limit: 256,
        ...(offset !== undefined && offset !== null ? { offset } : {}),
      });
      out.push(...page.points);
      offset = page.next_page_offset as string | number | null | undefined;
    } while (offset !== undefined && offset !== null);
    return out;
  }

  async subjectVectors(filter: IndexFilter, subject: string): Promise<Float32Array[]> {
    const points = await this.scrollAll(filter.model, [match("tenant", filter.tenant), match("subject", subject)], {
      with_vector: true,
      with_payload: false,
    });
    return points.map((p) => Float32Array.from(p.vector as number[]));
  }

  async ids(filter: IndexFilter): Promise<string[]> {
    const points = await this.scrollAll(filter.model, [match("tenant", filter.tenant)], {
      with_vector: false,
      with_payload: ["id"],
    });
    return points.map((p) => String(p.payload?.id));
  }

  async count(filter: IndexFilter): Promise<number> {
    await this.ensure(filter.model);
    return (
      await this.client.count(this.collection(filter.model), { filter: { must: [match("tenant", filter.tenant)] }, exact: true })
    ).count;
  }

  async close(): Promise<void> {}
}
