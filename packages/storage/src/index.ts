export { DEFAULT_POLL_MS, Follower, NO_WATCH, type Watch } from "./follower.js";
export { Database, isTransient, type Queryable, SchemaBehindError } from "./postgres.js";
export { RecordLog, type Recovery } from "./record-log.js";
