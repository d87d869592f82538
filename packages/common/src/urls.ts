/**
 * Server URLs (comma-separated, as NATS takes them) with any user and password taken out, for logs
 * and status lines: a URL may carry credentials, a log never does.
 */
export function withoutSecrets(urls: string): string {
  return urls
    .split(",")
    .map((url) => url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1***@"))
    .join(",");
}
