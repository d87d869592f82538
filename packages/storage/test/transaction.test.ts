import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { JsonRecordStore, RecordLog, Transaction, TransactionJournal } from "../src/index.js";

const child = join(import.meta.dirname, "fixtures", "transaction-child.mjs");
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A data folder with a.log holding {n: 1} and b.log holding {n: 1}, {dropped: true}. */
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "transaction-"));
  made.push(dir);
  const a = JsonRecordStore.open(join(dir, "a"), "a.log", () => {});
  a.append({ n: 1 });
  a.close();
  const b = JsonRecordStore.open(join(dir, "b"), "b.log", () => {});
  b.append({ n: 1 });
  b.append({ dropped: true });
  b.close();
  return dir;
}

/** The records of a log on disk, read without changing anything. */
function read(path: string): unknown[] {
  const seen: unknown[] = [];
  RecordLog.read(path, (r) => seen.push(JSON.parse(r.toString())));
  return seen;
}

const records = (dir: string, name: "a" | "b") => read(join(dir, name, `${name}.log`));
const journalRecords = (dir: string) => read(join(dir, "journal", "transactions.log"));

/** A promise and the function that settles it: one side of a test waits for the other. */
function gate(): { passed: Promise<void>; open: () => void } {
  let open = () => {};
  const passed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { passed, open };
}

describe("transactions over record logs", () => {
  it("a change over two logs and its carried entry are written together, and the journal is left empty", async () => {
    const dir = folder();
    const journal = TransactionJournal.open(dir);
    const a = JsonRecordStore.open(join(dir, "a"), "a.log", () => {});
    const b = JsonRecordStore.open(join(dir, "b"), "b.log", () => {});
    const stored: unknown[] = [];
    await journal.run(async () => {
      a.append({ n: 2 });
      b.rewrite([{ n: 1 }, { n: 2 }]);
      // Staged: nothing on disk yet.
      expect(records(dir, "a")).toEqual([{ n: 1 }]);
      expect(records(dir, "b")).toEqual([{ n: 1 }, { dropped: true }]);
      Transaction.current()?.commit({ payload: "entry", label: "change", store: () => stored.push("entry") });
      // Committed: what follows in the scope is written at once.
      a.append({ n: 3 });
      expect(records(dir, "a")).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    });
    expect(stored).toEqual(["entry"]);
    expect(records(dir, "b")).toEqual([{ n: 1 }, { n: 2 }]);
    // The rewritten log is the one written from now on.
    b.append({ n: 4 });
    expect(records(dir, "b")).toEqual([{ n: 1 }, { n: 2 }, { n: 4 }]);
    expect(journalRecords(dir)).toEqual([]);
    a.close();
    b.close();
    journal.close();
  });

  it("a change that dies before its commit leaves every log as it was, and no aside file", async () => {
    const dir = folder();
    const journal = TransactionJournal.open(dir);
    const a = JsonRecordStore.open(join(dir, "a"), "a.log", () => {});
    const b = JsonRecordStore.open(join(dir, "b"), "b.log", () => {});
    // A transaction never committed: the process "dies" with its writes staged.
    await Transaction.run(new Transaction(journal), async () => {
      a.append({ n: 2 });
      b.rewrite([{ n: 2 }]);
    });
    expect(readdirSync(join(dir, "b")).filter((f) => f.includes(".tx-"))).toHaveLength(1);
    a.close();
    b.close();
    journal.close();

    // The restart: the journal, then the stores.
    TransactionJournal.open(dir).close();
    for (const name of ["a", "b"]) JsonRecordStore.open(join(dir, name), `${name}.log`, () => {}).close();
    expect(records(dir, "a")).toEqual([{ n: 1 }]);
    expect(records(dir, "b")).toEqual([{ n: 1 }, { dropped: true }]);
    expect(readdirSync(join(dir, "b")).filter((f) => f.includes(".tx-"))).toEqual([]);
  });

  it("a process killed right after the commit record: the next open writes both logs and hands back the entry", () => {
    const dir = folder();
    const killed = spawnSync(process.execPath, [child, dir], {
      env: { ...process.env, NODE_ENV: "test", FACEREC_TEST_KILL_AFTER_COMMIT: "change" },
    });
    expect(killed.signal).toBe("SIGKILL");
    // Nothing reached the logs before the kill; the rewrite waits aside.
    expect(records(dir, "a")).toEqual([{ n: 1 }]);
    expect(records(dir, "b")).toEqual([{ n: 1 }, { dropped: true }]);
    expect(readdirSync(join(dir, "b")).filter((f) => f.includes(".tx-"))).toHaveLength(1);
    // What an earlier open cut from the old file's tail: it goes with the file the rewrite replaces.
    writeFileSync(join(dir, "b", "b.log.torn"), "cut from the old file");

    const journal = TransactionJournal.open(dir);
    expect(records(dir, "a")).toEqual([{ n: 1 }, { n: 2 }]);
    expect(records(dir, "b")).toEqual([{ kept: true }, { n: 2 }]);
    expect(existsSync(join(dir, "b", "b.log.torn"))).toBe(false);
    const [unfinished, ...more] = journal.unfinished();
    expect(more).toEqual([]);
    expect(unfinished?.carried).toEqual({ entry: "changed" });
    journal.finish(unfinished?.id as string);
    expect(journal.unfinished()).toEqual([]);
    journal.close();
    expect(journalRecords(dir)).toEqual([]);
  });

  it("a commit whose appends reached their log before the crash is not written twice", () => {
    const dir = folder();
    const at = statSync(join(dir, "a", "a.log")).size;
    const a = JsonRecordStore.open(join(dir, "a"), "a.log", () => {});
    a.append({ n: 2 });
    a.close();
    // The journal as a crash after the append (and before the journal was emptied) leaves it.
    const writes = [{ log: join("a", "a.log"), at, appends: [Buffer.from(JSON.stringify({ n: 2 })).toString("base64")] }];
    const journalDir = join(dir, "journal");
    const log = JsonRecordStore.open(journalDir, "transactions.log", () => {}, { outsideTransactions: true });
    log.append({ commit: { id: "c1", writes, carried: "entry" } });
    log.close();

    const journal = TransactionJournal.open(dir);
    expect(records(dir, "a")).toEqual([{ n: 1 }, { n: 2 }]);
    expect(journal.unfinished()).toEqual([{ id: "c1", carried: "entry" }]);
    journal.close();
    // The journal keeps the entry, not the writes: a second open hands it back and writes nothing.
    expect(journalRecords(dir)).toEqual([{ commit: { id: "c1", writes: [], carried: "entry" } }]);
    TransactionJournal.open(dir).close();
    expect(records(dir, "a")).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("what waits for a commit runs after it, and never for a change that does not commit", async () => {
    const dir = folder();
    const journal = TransactionJournal.open(dir);
    const a = JsonRecordStore.open(join(dir, "a"), "a.log", () => {});
    const done: string[] = [];
    await journal.run(async () => {
      a.append({ n: 2 });
      Transaction.whenCommitted(() => done.push("after"));
      expect(done).toEqual([]);
    });
    expect(done).toEqual(["after"]);
    await Transaction.run(new Transaction(journal), async () => {
      Transaction.whenCommitted(() => done.push("never"));
    });
    Transaction.whenCommitted(() => done.push("outside"));
    expect(done).toEqual(["after", "outside"]);
    a.close();
    journal.close();
  });

  it("a log is not rewritten outside the change that holds writes to it", async () => {
    const dir = folder();
    const journal = TransactionJournal.open(dir);
    const b = JsonRecordStore.open(join(dir, "b"), "b.log", () => {});
    const [held, staged] = [gate(), gate()];
    const change = journal.run(async () => {
      b.append({ n: 2 });
      staged.open();
      await held.passed;
    });
    await staged.passed;
    // A compaction from memory now would make the change's record durable before its commit.
    expect(() => b.rewrite([{ n: 1 }, { n: 2 }])).toThrow(/outside the change that holds writes/);
    held.open();
    await change;
    b.rewrite([{ n: 2 }]);
    expect(records(dir, "b")).toEqual([{ n: 2 }]);
    b.close();
    journal.close();
  });

  it("a change that cannot be made durable stops later changes until a restart", async () => {
    const dir = folder();
    const journal = TransactionJournal.open(dir);
    const a = JsonRecordStore.open(join(dir, "a"), "a.log", () => {});
    // The journal's file gone from under it: the commit record cannot be written.
    journal.close();
    await expect(journal.run(async () => a.append({ n: 2 }))).rejects.toThrow();
    await expect(journal.run(async () => a.append({ n: 3 }))).rejects.toThrow(/restart the product/);
    expect(records(dir, "a")).toEqual([{ n: 1 }]);
    a.close();
  });

  it("the same change without the hook commits whole in another process", () => {
    const dir = folder();
    expect(execFileSync(process.execPath, [child, dir]).toString()).toBe("committed\n");
    expect(records(dir, "a")).toEqual([{ n: 1 }, { n: 2 }]);
    expect(records(dir, "b")).toEqual([{ kept: true }, { n: 2 }]);
    expect(journalRecords(dir)).toEqual([]);
  });

  it("an append outside the change while it holds a rewrite reaches the log whether the change commits or not", async () => {
    const dir = folder();
    const journal = TransactionJournal.open(dir);
    const b = JsonRecordStore.open(join(dir, "b"), "b.log", () => {});
    const [held, staged] = [gate(), gate()];
    const change = journal.run(async () => {
      b.rewrite([{ n: 1 }]);
      staged.open();
      await held.passed;
    });
    await staged.passed;
    // Another request's write, outside the change, while its rewrite waits to commit.
    b.append({ outside: true });
    expect(records(dir, "b")).toEqual([{ n: 1 }, { dropped: true }, { outside: true }]);
    held.open();
    await change;
    expect(records(dir, "b")).toEqual([{ n: 1 }, { outside: true }]);
    b.close();
    journal.close();
  });

  it("changes run one at a time; a change inside another joins it, and one after its commit runs at once", async () => {
    const dir = folder();
    const journal = TransactionJournal.open(dir);
    const order: string[] = [];
    const held = gate();
    const first = journal.run(async () => {
      order.push("first starts");
      await held.passed;
      await journal.run(async () => order.push("nested"));
      Transaction.current()?.commit({ payload: "entry", label: "first", store: () => {} });
      await journal.run(async () => order.push("after its commit"));
      order.push("first ends");
    });
    const second = journal.run(async () => order.push("second"));
    await new Promise((r) => setTimeout(r, 10));
    held.open();
    await Promise.all([first, second]);
    expect(order).toEqual(["first starts", "nested", "after its commit", "first ends", "second"]);
    journal.close();
  });
});
