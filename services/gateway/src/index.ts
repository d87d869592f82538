export { type AppOptions, buildApp } from "./app.js";
export { httpStatusOf } from "./errors.js";
export { type FaceResult, Recognition } from "./recognition.js";
