import { parentPort, workerData } from "node:worker_threads";
import { type BuildRequest, buildGraphFile } from "./ann.js";

// The graph build's thread (see AnnGraph): the native inserts run here, off the event loop.
buildGraphFile(workerData as BuildRequest);
parentPort?.postMessage("built");
