// What every part of the web console shares: the page's elements, the REST API behind the key the
// operator types in, and the tenant's subjects' names by id.
export const $ = (id) => document.getElementById(id);

export async function api(method, path, body) {
  const headers = { "x-api-key": $("key").value };
  // Forms set their own multipart content type; strings are JSON.
  if (typeof body === "string") headers["content-type"] = "application/json";
  const response = await fetch(path, { method, headers, body });
  const payload = await response.json();
  if (!response.ok) throw new Error(`${response.status} ${payload.error}: ${payload.message}`);
  return payload;
}

export function show(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle("error", isError);
}

/** The tenant's subjects' names by id, as the subject list last read them. */
export const names = new Map();
