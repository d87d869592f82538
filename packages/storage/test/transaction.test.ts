import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
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
    // Nothing reached the logs before the kill.
    expect(records(dir, "a")).toEqual([{ n: 1 }]);
    expect(existsSync(join(dir, "b", "b.log.tx-"))).toBe(false);

    const journal = TransactionJournal.open(dir);
    expect(records(dir, "a")).toEqual([{ n: 1 }, { n: 2 }]);
    expect(records(dir, "b")).toEqual([{ kept: true }, { n: 2 }]);
    const [unfinished, ...more] = journal.unfinished();
    expect(more).toEqual([]);
    expect(unfinished?.carried).toEqual({ entry: "changed" });
    journal.finish(unfinished?.id as string);
    expect(journal.unfinished()).toEqual([]);
    journal.close();
    expect(journalRecords(dir)).toEqual([]);

    // Opening again redoes nothing twice.
    TransactionJournal.open(dir).close();
    expect(records(dir, "a")).toEqual([{ n: 1 }, { n: 2 }]);
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
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let staged = () => {};
    const rewritten = new Promise<void>((resolve) => {
      staged = resolve;
    });
    const change = journal.run(async () => {
      b.rewrite([{ n: 1 }]);
      staged();
      await held;
    });
    await rewritten;
    // Another request's write, outside the change, while its rewrite waits to commit.
    b.append({ outside: true });
    expect(records(dir, "b")).toEqual([{ n: 1 }, { dropped: true }, { outside: true }]);
    release();
    await change;
    expect(records(dir, "b")).toEqual([{ n: 1 }, { outside: true }]);
    b.close();
    journal.close();
  });

  it("changes run one at a time, and a change inside another joins it", async () => {
    const dir = folder();
    const journal = TransactionJournal.open(dir);
    const order: string[] = [];
    let release = () => {};
    const first = journal.run(async () => {
      order.push("first starts");
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      await journal.run(async () => order.push("nested"));
      order.push("first ends");
    });
    const second = journal.run(async () => order.push("second"));
    await new Promise((r) => setTimeout(r, 10));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["first starts", "nested", "first ends", "second"]);
    journal.close();
  });
});
