export { DEFAULT_POLL_MS, Follower, NO_WATCH, type Watch } from "./follower.js";
export { Database, isTransient, type Queryable, SchemaBehindError } from "./postgres.js";
export { CorruptLogError, RecordLog, type Recovery, syncDir, writeDurably } from "./record-log.js";
