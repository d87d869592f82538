import type { Database } from "@facerec/storage";
import type { ChallengeAction, FrameObservation } from "@facerec/vision";

/** An open active liveness challenge: what was asked, of which tenant, until when, and its frames' poses. */
export interface Challenge {
  id: string;
  tenant: string;
  actions: ChallengeAction[];
  /** The subject whose identity the frames are checked against, where the start named one. */
  subjectId?: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  frames: FrameObservation[];
}

/** Challenges open at once: in the deployment, and for one tenant, so one tenant cannot take them all. */
export type OpenBounds = { open: number; tenant: number };

/** What adding a frame came to: the frames so far, or why it was not added. */
export type FrameAdded = { frames: FrameObservation[]; actions: ChallengeAction[] } | "full" | "gone";

/**
 * Where open challenges live between their calls. A challenge is reachable by its own tenant only,
 * gone once expired or judged, and judged once even when its calls reach different gateways: the
 * PostgreSQL store is shared by every replica, the memory store serves one process (embedded mode).
 */
export interface ChallengeStore {
  /**
   * Store a new challenge unless `bounds.open` are open, or its tenant's `bounds.tenant` (expired ones
   * are removed first); false when full.
   */
  insert(c: Challenge, bounds: OpenBounds, now: number): Promise<boolean>;
  /** The tenant's open challenge as it stands, or undefined (none, another tenant's, expired). */
  get(tenant: string, id: string, now: number): Promise<Challenge | undefined>;
  /** Add one frame's observation unless the challenge holds `maxFrames` already. */
  addFrame(tenant: string, id: string, frame: FrameObservation, maxFrames: number, now: number): Promise<FrameAdded>;
  /** Remove the tenant's open challenge and return it: of two callers asking at once, one gets it. */
  take(tenant: string, id: string, now: number): Promise<Challenge | undefined>;
  /** Close the tenant's challenges that check answers against the subject (its erasure); how many. */
  eraseSubject(tenant: string, subjectId: string): Promise<number>;
  /** The tenant's open challenges naming the subject, for subject access. */
  ofSubject(tenant: string, subjectId: string): Promise<Challenge[]>;
  close(): Promise<void>;
}

export class MemoryChallengeStore implements ChallengeStore {
  private readonly open = new Map<string, Challenge>();

  async insert(c: Challenge, bounds: OpenBounds, now: number): Promise<boolean> {
    for (const [id, o] of this.open) if (o.expiresAt <= now) this.open.delete(id);
    if (this.open.size >= bounds.open) return false;
    if ([...this.open.values()].filter((o) => o.tenant === c.tenant).length >= bounds.tenant) return false;
    this.open.set(c.id, { ...c, frames: [...c.frames] });
    return true;
  }

  private live(tenant: string, id: string, now: number): Challenge | undefined {
    const c = this.open.get(id);
    if (!c || c.tenant !== tenant) return undefined;
    if (c.expiresAt > now) return c;
    this.open.delete(id);
    return undefined;
  }

  async get(tenant: string, id: string, now: number): Promise<Challenge | undefined> {
    const c = this.live(tenant, id, now);
    return c && { ...c, frames: [...c.frames] };
  }

  async addFrame(tenant: string, id: string, frame: FrameObservation, maxFrames: number, now: number): Promise<FrameAdded> {
    const c = this.live(tenant, id, now);
    if (!c) return "gone";
    if (c.frames.length >= maxFrames) return "full";
    c.frames.push(frame);
    return { frames: [...c.frames], actions: c.actions };
  }

  async take(tenant: string, id: string, now: number): Promise<Challenge | undefined> {
    const c = this.live(tenant, id, now);
    if (c) this.open.delete(id);
    return c;
  }

  async eraseSubject(tenant: string, subjectId: string): Promise<number> {
    const named = await this.ofSubject(tenant, subjectId);
    for (const c of named) this.open.delete(c.id);
    return named.length;
  }

  async ofSubject(tenant: string, subjectId: string): Promise<Challenge[]> {
    return [...this.open.values()].filter((c) => c.tenant === tenant && c.subjectId === subjectId);
  }

  async close(): Promise<void> {
    this.open.clear();
  }
}

interface ChallengeRow {
  id: string;
  tenant: string;
  actions: ChallengeAction[];
  subject_id: string | null;
  expires_at: string;
  frames: FrameObservation[];
}

const challengeOf = (row: ChallengeRow): Challenge => ({
  id: row.id,
  tenant: row.tenant,
  actions: row.actions,
  ...(row.subject_id ? { subjectId: row.subject_id } : {}),
  expiresAt: Number(row.expires_at),
  frames: row.frames,
});

/** Open challenges in PostgreSQL (table liveness_challenges): any gateway can take any call of one. */
export class PgChallengeStore implements ChallengeStore {
  constructor(private readonly db: Database) {}

  async insert(c: Challenge, bounds: OpenBounds, now: number): Promise<boolean> {
    await this.db.query("DELETE FROM liveness_challenges WHERE expires_at <= $1", [now]);
    // The bounds are checked in the same statement as the insert (two gateways at once may pass one by one).
    const { rowCount } = await this.db.query(
      `INSERT INTO liveness_challenges (id, tenant, actions, subject_id, expires_at, frames)
       SELECT $1, $2, $3, $4, $5, $6::jsonb WHERE (SELECT count(*) FROM liveness_challenges) < $7
         AND (SELECT count(*) FROM liveness_challenges WHERE tenant = $2) < $8`,
      [c.id, c.tenant, c.actions, c.subjectId ?? null, c.expiresAt, JSON.stringify(c.frames), bounds.open, bounds.tenant],
    );
    return rowCount === 1;
  }

  async get(tenant: string, id: string, now: number): Promise<Challenge | undefined> {
    const { rows } = await this.db.query<ChallengeRow>(
      "SELECT * FROM liveness_challenges WHERE id = $1 AND tenant = $2 AND expires_at > $3",
      [id, tenant, now],
    );
    return rows[0] && challengeOf(rows[0]);
  }

  async addFrame(tenant: string, id: string, frame: FrameObservation, maxFrames: number, now: number): Promise<FrameAdded> {
    const { rows } = await this.db.query<Pick<ChallengeRow, "frames" | "actions">>(
      `UPDATE liveness_challenges SET frames = frames || jsonb_build_array($3::jsonb)
       WHERE id = $1 AND tenant = $2 AND expires_at > $4 AND jsonb_array_length(frames) < $5
       RETURNING frames, actions`,
      [id, tenant, JSON.stringify(frame), now, maxFrames],
    );
    const row = rows[0];
    if (row) return { frames: row.frames, actions: row.actions };
    // Not added: the challenge is either still open (so it holds maxFrames) or not there for this tenant.
    return (await this.get(tenant, id, now)) ? "full" : "gone";
  }

  async take(tenant: string, id: string, now: number): Promise<Challenge | undefined> {
    const { rows } = await this.db.query<ChallengeRow>(
      "DELETE FROM liveness_challenges WHERE id = $1 AND tenant = $2 RETURNING *",
      [id, tenant],
    );
    const row = rows[0];
    if (!row || Number(row.expires_at) <= now) return undefined;
    return challengeOf(row);
  }

  async eraseSubject(tenant: string, subjectId: string): Promise<number> {
    const { rowCount } = await this.db.query("DELETE FROM liveness_challenges WHERE tenant = $1 AND subject_id = $2", [
      tenant,
      subjectId,
    ]);
    return rowCount ?? 0;
  }

  async ofSubject(tenant: string, subjectId: string): Promise<Challenge[]> {
    const { rows } = await this.db.query<ChallengeRow>(
      "SELECT * FROM liveness_challenges WHERE tenant = $1 AND subject_id = $2",
      [tenant, subjectId],
    );
    return rows.map(challengeOf);
  }

  async close(): Promise<void> {}
}
