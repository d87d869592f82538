// The console's one way to the gateway: the SDK, with the key the operator typed, kept in this tab's
// session storage only (closing the tab forgets it).
import { type ApiError, createFacerecClient, type Result, settle } from "@facerec/client";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

const KEY = "facerec-key";

export const getKey = (): string => sessionStorage.getItem(KEY) ?? "";
export const setKey = (key: string): void => sessionStorage.setItem(KEY, key);

export const client = createFacerecClient({ baseUrl: "", apiKey: getKey });

export { settle };

/** An error as one line, the way the API words it: `404 NOT_FOUND: no subject ...`. */
export const errorText = (e: ApiError): string => (e.status ? `${e.status} ${e.code}: ${e.message}` : `no answer: ${e.message}`);

/** A value, or an Error carrying the API's words, for code that renders either. */
export async function value<T>(pending: Promise<Result<T>>): Promise<T> {
  const r = await pending;
  if (!r.ok) throw new Error(errorText(r.error));
  return r.value;
}

export type Load<T> = { state: "loading" } | { state: "ready"; value: T } | { state: "failed"; error: string };

/**
 * Loads `fetch` when the component mounts and again whenever `deps` change (the key among them), and
 * returns a stable `reload`. New deps show "loading" at once (never the previous subject's data under
 * the new one's name); a reload keeps the old value until the new one comes. An answer that arrives
 * after a newer load started is dropped.
 */
export function useLoad<T>(fetch: () => Promise<T>, deps: unknown[]): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: "loading" });
  const [round, setRound] = useState(0);
  const lastRound = useRef(round);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  useEffect(() => {
    if (lastRound.current === round) setLoad({ state: "loading" });
    lastRound.current = round;
    let current = true;
    fetch().then(
      (v) => current && setLoad({ state: "ready", value: v }),
      (e: unknown) => current && setLoad({ state: "failed", error: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  return [load, reload];
}

/** A face the API serves behind the key: a review face's crop, or a subject's (a template's, or its newest). */
export type Face = { review: string } | { subject: string; template?: string };

function fetchFace(face: Face) {
  if ("review" in face)
    return client.GET("/v1/review/faces/{id}/crop", { params: { path: { id: face.review } }, parseAs: "blob" });
  const query = face.template ? { template: face.template } : {};
  return client.GET("/v1/subjects/{id}/crop", { params: { path: { id: face.subject }, query }, parseAs: "blob" });
}

/** A face as an object URL for an <img> (revoked when unmounted); undefined until it loads, or where none is kept. */
export function useFace(face: Face | undefined): string | undefined {
  const [url, setUrl] = useState<string>();
  const key = face ? JSON.stringify(face) : "";
  // `key` stands for the face it was made from: a new object with the same face loads nothing again.
  useEffect(() => {
    // Another face (or none): the last one's picture must not stand for it meanwhile.
    setUrl(undefined);
    if (!face) return;
    let made: string | undefined;
    let current = true;
    fetchFace(face)
      .then(({ data }) => {
        if (!current || !(data instanceof Blob)) return;
        made = URL.createObjectURL(data);
        setUrl(made);
      })
      .catch(() => undefined);
    return () => {
      current = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [key]);
  return url;
}

/** Saves `text` as a file the browser downloads. */
export function download(name: string, type: string, text: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
