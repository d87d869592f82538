export { FolderLock, FolderLockedError } from "./folder-lock.js";
export { DEFAULT_POLL_MS, Follower, NO_WATCH, type Watch } from "./follower.js";
export { JsonRecordStore } from "./json-record-store.js";
export { Database, isTransient, type Queryable, SchemaBehindError } from "./postgres.js";
export { privateFolder } from "./private-files.js";
export { CorruptLogError, RecordLog, type Recovery, syncDir, writeDurably } from "./record-log.js";
export { type Carried, Transaction } from "./transaction.js";
export { TransactionJournal, type Unfinished } from "./transaction-journal.js";
