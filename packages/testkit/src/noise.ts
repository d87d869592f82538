// The seeded generators live at the bottom of the package graph; tests and benchmarks import them here.
export { gaussianNoise } from "@facerec/common";
