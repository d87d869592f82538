/** The gateway's OpenAPI document rendered to the text of openapi/schema.d.ts. */
export function openapiTypes(document: unknown): Promise<string>;
