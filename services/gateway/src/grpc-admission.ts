import type { Principal } from "@facerec/auth";
import { httpStatusOf, isOperation, OPERATIONS, type OperationName, type Recognition, requestIdFrom } from "@facerec/operations";
import {
  type Metadata,
  ResponderBuilder,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  ServerListenerBuilder,
  status,
} from "@grpc/grpc-js";

/** The peer's address as REST sees it: "ipv4:127.0.0.1:5000" -> "127.0.0.1", "ipv6:[::1]:5000" -> "::1". */
export const addressOf = (peer: string): string =>
  peer
    .replace(/^ipv[46]:/, "")
    .replace(/:\d+$/, "")
    .replace(/^\[(.*)\]$/, "$1");

/** The caller's x-request-id metadata when it is a safe token, else a fresh id: audit entries carry it. */
export const requestIdOf = (metadata: Metadata): string => requestIdFrom(metadata.get("x-request-id")[0]);

/** "/facerec.v1.FaceRecognitionService/ListSubjects" -> "listSubjects", the declared operation. */
function operationOf(path: string): OperationName | undefined {
  const method = path.slice(path.lastIndexOf("/") + 1);
  const name = method.charAt(0).toLowerCase() + method.slice(1);
  return isOperation(name) ? name : undefined;
}

/** The bytes a decoded request holds in its bytes fields (images), which is what it keeps in memory. */
function bytesOf(message: unknown): number {
  if (message === null || typeof message !== "object") return 0;
  let n = 0;
  for (const v of Object.values(message)) {
    if (v instanceof Uint8Array) n += v.byteLength;
    else if (Array.isArray(v)) for (const x of v) if (x instanceof Uint8Array) n += x.byteLength;
  }
  return n;
}

/** What the admission interceptor learnt of a call, for its handler: the caller and the request id. */
export interface Admitted {
  principal: Principal;
  requestId: string;
}

/**
 * Admission for every gRPC call before its message is read: the key from the metadata is checked
 * against the method's declared operation (scope, rate limit, failed-key limit), the call counts
 * against the cap on calls in progress, and an image operation reserves the largest message it may
 * carry from the upload budget shared with REST (the size of a gRPC message is not known before it
 * is read). A refused call is answered without a byte of its message read past HTTP/2's window.
 * Health and reflection calls pass untouched.
 */
export function admissionInterceptor(recognition: Recognition, admitted: WeakMap<Metadata, Admitted>): ServerInterceptor {
  const { limits } = recognition;
  let inProgress = 0;
  return (method, call: ServerInterceptingCallInterface) => {
    const operation = operationOf(method.path);
    if (!operation) return new ServerInterceptingCall(call);
    let release: (keep?: number) => void = () => {};
    let counted = false;
    /** Cancelled or answered: an admission that completes afterwards must take nothing. */
    let over = false;
    /** The call's slot and its reserved bytes go back once, however it ends. */
    const finish = () => {
      over = true;
      release();
      release = () => {};
      if (counted) inProgress--;
      counted = false;
    };
    const refuse = (error: unknown) => {
      finish();
      const { code, message } = httpStatusOf(error);
      call.sendStatus({ code: status[code as keyof typeof status], details: message });
    };
    const responder = new ResponderBuilder()
      .withStart((next) => {
        const listener = new ServerListenerBuilder()
          .withOnReceiveMetadata((metadata, passOn) => {
            // Streams are bounded per key and per tenant (streamsPerKey, streamsPerTenant) and stay open:
            // counted here, one tenant's streams would take every slot.
            const stream = OPERATIONS[operation].quota === "stream";
            if (!stream && inProgress >= limits.grpcConcurrentCalls) {
              call.sendStatus({
                code: status.RESOURCE_EXHAUSTED,
                details: "the gateway has too many calls in progress; retry shortly",
              });
              return;
            }
            if (!stream) {
              inProgress++;
              counted = true;
            }
            const key = metadata.get("x-api-key")[0];
            const requestId = requestIdOf(metadata);
            recognition
              .admit(typeof key === "string" ? key : undefined, operation, requestId, addressOf(call.getPeer()))
              .then((principal) => {
                // The client left while it was being admitted: nothing is reserved, nothing goes on.
                if (over) return;
                if (OPERATIONS[operation].quota === "image")
                  release = recognition.uploads.reserve(principal.tenant, limits.grpcMessageBytes);
                admitted.set(metadata, { principal, requestId });
                passOn(metadata);
              })
              .catch((error) => {
                if (!over) refuse(error);
              });
          })
          // Read, the message holds what its bytes fields hold: the rest of the reservation goes back.
          .withOnReceiveMessage((message, passOn) => {
            release(bytesOf(message));
            passOn(message);
          })
          .withOnCancel(finish)
          .build();
        next(listener);
      })
      .withSendStatus((s, next) => {
        finish();
        next(s);
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}
