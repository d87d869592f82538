import type { StartedTestContainer } from "testcontainers";

let url: string | undefined;
let container: StartedTestContainer | undefined;

export function qdrantUrl(): string {
  if (!url) throw new Error("qdrant is not available");
  return url;
}

/**
 * Find a Qdrant to test against: QDRANT_URL when set, else a container started through testcontainers.
 * Returns the one-line reason to skip when neither is possible (no Qdrant server runs on these machines).
 */
export async function qdrantUnavailable(): Promise<string | undefined> {
  if (process.env.QDRANT_URL) {
    url = process.env.QDRANT_URL;
    return undefined;
  }
  try {
    const { GenericContainer, Wait } = await import("testcontainers");
    container = await new GenericContainer("qdrant/qdrant:v1.12.6")
      .withExposedPorts(6333)
      .withWaitStrategy(Wait.forHttp("/readyz", 6333))
      .start();
    url = `http://${container.getHost()}:${container.getMappedPort(6333)}`;
    return undefined;
  } catch (error) {
    const why = (error as Error).message.split("\n")[0];
    return `no Qdrant: QDRANT_URL is unset and no container runtime could start one (${why})`;
  }
}

export async function stopQdrant(): Promise<void> {
  await container?.stop();
}
