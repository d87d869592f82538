import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import type { Destination } from "./webhook-destinations.js";

/**
 * The `facerec-signature` header for a body sent at `timestamp` (Unix seconds): `t=<timestamp>,v1=<hex
 * HMAC-SHA256 of "<timestamp>.<body>">`. The timestamp inside the signed text lets a receiver refuse a
 * replayed body by its age.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

/**
 * A lookup that answers with the addresses the destination policy checked, whatever the name: the
 * connection goes where the check looked, not wherever DNS points a moment later. (A literal address
 * in the URL is connected to without a lookup; it is what was checked.)
 */
function pinned(addresses: Destination["addresses"]): LookupFunction {
  return (_host, options, callback) => {
    if (options.all) callback(null, addresses);
    else {
      const first = addresses.find((a) => !options.family || a.family === options.family) ?? addresses[0];
      callback(null, first?.address ?? "", first?.family ?? 4);
    }
  };
}

/**
 * POST `body` to a checked destination over a connection of its own (no pooled socket that another
 * check opened), connected only to the checked addresses; resolves with the receiver's status, whose
 * body is not read. A redirect is a status like any other: it is not followed, since the receiver is the
 * URL the tenant registered and its target was never checked. Rejects on anything else (no connection,
 * a reset, TLS, no answer within `timeoutMs`).
 */
export function postTo(
  destination: Destination,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const send = destination.url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      destination.url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        agent: false,
        lookup: pinned(destination.addresses),
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy();
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
