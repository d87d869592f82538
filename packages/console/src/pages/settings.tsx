import type { Answer } from "@facerec/client";
import { useState } from "preact/hooks";
import { client, errorText, settle, useLoad, value } from "../api.js";
import { Page, Status, Table, when } from "../ui.js";

type Policy = NonNullable<Answer<"getPolicy">["policy"]>;

/** The policy field an API refusal names: `retention.auditDays must be ...` or `body/retention/auditDays ...`. */
export function fieldOf(message: string): string | undefined {
  return /^(?:body\/)?([A-Za-z]+(?:[./][A-Za-z]+)*)\b/.exec(message)?.[1]?.replaceAll("/", ".");
}

const days = (v: string): number | null => (v.trim() === "" ? null : Number(v));

function Field({
  id,
  label,
  error,
  children,
}: {
  id: string;
  label: string;
  error: string | undefined;
  children: preact.ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {error ? (
        <span id={`${id}-error`} class="error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}

/** A select whose first choice is `current`, left to the user afterwards (a re-render does not reset it). */
function Choice({ id, current, options }: { id: string; current: string; options: [string, string?][] }) {
  return (
    <select id={id} name={id.slice("policy-".length)}>
      {options.map(([v, label]) => (
        <option key={v} value={v} selected={v === current}>
          {label ?? v}
        </option>
      ))}
    </select>
  );
}

function PolicyForm() {
  const [policy, reload] = useLoad(() => value(settle(client.GET("/v1/policy"))), []);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState({ text: "", error: false });
  if (policy.state !== "ready")
    return (
      <Status id="policy-result" text={policy.state === "failed" ? policy.error : "loading"} error={policy.state === "failed"} />
    );
  const p: Policy = policy.value.policy ?? {};

  const save = async (event: Event) => {
    event.preventDefault();
    const f = (event.currentTarget as HTMLFormElement).elements;
    const text = (name: string) => (f.namedItem(name) as HTMLInputElement).value;
    const cameras = text("identify.cameras").trim();
    const liveness = text("liveness");
    const body = {
      consent: {
        required: (f.namedItem("consent.required") as HTMLInputElement).checked,
        noticeVersion: text("consent.noticeVersion"),
      },
      retention: {
        templatesDays: days(text("retention.templatesDays")),
        reviewDays: days(text("retention.reviewDays")),
        auditDays: days(text("retention.auditDays")),
      },
      identify: { cameras: cameras === "" || cameras === "all" ? ("all" as const) : cameras.split(/\s*,\s*/) },
      thresholds: { targetFmr: text("thresholds.targetFmr") || null },
      contact: text("contact"),
      liveness: (liveness || null) as Policy["liveness"],
    };
    const r = await settle(client.PUT("/v1/policy", { body }));
    if (!r.ok) {
      const field = fieldOf(r.error.message);
      setErrors(field ? { [field]: r.error.message } : {});
      return setResult({ text: errorText(r.error), error: true });
    }
    setErrors({});
    setResult({ text: `Saved: policy version ${r.value.version}`, error: false });
    reload();
  };
  const input = (name: string, v: string | number | null | undefined, props: Record<string, unknown> = {}) => (
    <Field id={`policy-${name}`} label={name} error={errors[name]}>
      <input
        id={`policy-${name}`}
        name={name}
        defaultValue={v === null || v === undefined ? "" : String(v)}
        aria-invalid={errors[name] ? true : undefined}
        aria-describedby={errors[name] ? `policy-${name}-error` : undefined}
        {...props}
      />
    </Field>
  );

  return (
    <form id="policy-form" onSubmit={save} class="fields">
      <p class="muted">
        Version {policy.value.version}
        {policy.value.setAt ? `, set ${when(policy.value.setAt)} by key ${policy.value.setBy}` : " (the defaults)"}. Empty day
        fields keep data; an empty target uses the deployment's.
      </p>
      <Field id="policy-consent.required" label="consent required to enrol" error={errors["consent.required"]}>
        <input
          id="policy-consent.required"
          name="consent.required"
          type="checkbox"
          defaultChecked={p.consent?.required ?? false}
        />
      </Field>
      {input("consent.noticeVersion", p.consent?.noticeVersion)}
      {input("retention.templatesDays", p.retention?.templatesDays, { inputMode: "numeric" })}
      {input("retention.reviewDays", p.retention?.reviewDays, { inputMode: "numeric" })}
      {input("retention.auditDays", p.retention?.auditDays, { inputMode: "numeric" })}
      {input("identify.cameras", Array.isArray(p.identify?.cameras) ? p.identify.cameras.join(", ") : "all")}
      <Field id="policy-thresholds.targetFmr" label="thresholds.targetFmr" error={errors["thresholds.targetFmr"]}>
        <Choice
          id="policy-thresholds.targetFmr"
          current={p.thresholds?.targetFmr ?? ""}
          options={[["", "the deployment's"], ["1e-2"], ["1e-3"], ["1e-4"]]}
        />
      </Field>
      {input("contact", p.contact)}
      <Field id="policy-liveness" label="liveness (cameras the deployment configures keep their own)" error={errors.liveness}>
        <Choice
          id="policy-liveness"
          current={p.liveness ?? ""}
          options={[["", "the deployment's"], ["required"], ["advisory"], ["off"]]}
        />
      </Field>
      <button type="submit">Save policy</button>
      <Status id="policy-result" text={result.text} error={result.error} />
    </form>
  );
}

function Keys() {
  const [keys, reload] = useLoad(async () => (await value(settle(client.GET("/v1/keys")))).keys ?? [], []);
  const [result, setResult] = useState({ text: "", error: false });
  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const name = (form.elements.namedItem("key-name") as HTMLInputElement).value;
    const scopes = [...form.querySelectorAll<HTMLInputElement>("input[name=scope]:checked")].map((i) => i.value as "admin");
    const r = await settle(client.POST("/v1/keys", { body: { name, scopes } }));
    if (!r.ok) return setResult({ text: errorText(r.error), error: true });
    setResult({ text: `Created ${name}: ${r.value.key} (shown once: copy it now)`, error: false });
    form.reset();
    reload();
  };
  const revoke = async (id: string, name: string | undefined) => {
    if (!confirm(`Revoke the key ${name}? Every gateway refuses it at once.`)) return;
    const r = await settle(client.DELETE("/v1/keys/{id}", { params: { path: { id } } }));
    setResult(r.ok ? { text: `Revoked ${name}`, error: false } : { text: errorText(r.error), error: true });
    reload();
  };
  return (
    <>
      <Table caption="API keys" columns={["name", "scopes", "cameras", "created", ""]} bodyId="keys-rows" compact>
        {(keys.state === "ready" ? keys.value : []).map((k) => (
          <tr key={k.id}>
            <td>{k.name}</td>
            <td>{k.scopes?.join(", ")}</td>
            <td>{k.cameras?.join(", ") ?? ""}</td>
            <td>{when(k.createdAt)}</td>
            <td>
              {k.revokedAt ? (
                `revoked ${when(k.revokedAt)}`
              ) : (
                <button type="button" onClick={() => revoke(k.id as string, k.name)}>
                  Revoke
                </button>
              )}
            </td>
          </tr>
        ))}
      </Table>
      <form id="key-form" class="inline" onSubmit={create}>
        <label>
          New key <input id="key-name" name="key-name" required maxLength={100} />
        </label>
        <fieldset class="inline">
          <legend>scopes</legend>
          {["recognise", "enrol", "audit", "admin"].map((s) => (
            <label key={s}>
              <input type="checkbox" name="scope" value={s} defaultChecked={s === "recognise"} /> {s}
            </label>
          ))}
        </fieldset>
        <button type="submit">Create key</button>
      </form>
      <Status
        id="keys-result"
        text={keys.state === "failed" ? keys.error : result.text}
        error={keys.state === "failed" || result.error}
      />
    </>
  );
}

function Deliveries({ id }: { id: string }) {
  const [log] = useLoad(
    async () =>
      (await value(settle(client.GET("/v1/webhooks/{id}/deliveries", { params: { path: { id }, query: { limit: 20 } } }))))
        .attempts ?? [],
    [id],
  );
  if (log.state !== "ready") return <p class="muted">{log.state === "failed" ? log.error : "loading"}</p>;
  if (!log.value.length) return <p class="muted">no deliveries yet</p>;
  return (
    <ol class="deliveries">
      {log.value.map((a) => (
        <li key={`${a.deliveryId}-${a.attempt}`} class={a.delivered ? "good" : "bad"}>
          {when(a.at)} attempt {a.attempt}: {a.delivered ? "delivered" : "failed"} {a.status ? `(HTTP ${a.status})` : ""}
        </li>
      ))}
    </ol>
  );
}

function Webhooks() {
  const [hooks, reload] = useLoad(async () => (await value(settle(client.GET("/v1/webhooks")))).webhooks ?? [], []);
  const [result, setResult] = useState({ text: "", error: false });
  const [open, setOpen] = useState<string>();
  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const url = (form.elements.namedItem("webhook-url") as HTMLInputElement).value;
    const r = await settle(client.POST("/v1/webhooks", { body: { url } }));
    if (!r.ok) return setResult({ text: errorText(r.error), error: true });
    setResult({ text: `Added; its signing secret (shown once): ${r.value.secret}`, error: false });
    form.reset();
    reload();
  };
  const test = async (id: string) => {
    setResult({ text: "sending a test", error: false });
    const r = await settle(client.POST("/v1/webhooks/{id}/test", { params: { path: { id } } }));
    if (!r.ok) return setResult({ text: errorText(r.error), error: true });
    const status = r.value.status ? ` (HTTP ${r.value.status})` : "";
    setResult(
      r.value.delivered
        ? { text: `Test delivered${status}`, error: false }
        : { text: `Test failed${status}: ${r.value.error ?? "no answer"}`, error: true },
    );
    // The attempt is in the log: show it fresh.
    setOpen(undefined);
  };
  const remove = async (id: string) => {
    const r = await settle(client.DELETE("/v1/webhooks/{id}", { params: { path: { id } } }));
    setResult(r.ok ? { text: "Removed", error: false } : { text: errorText(r.error), error: true });
    reload();
  };
  return (
    <>
      <ul id="webhooks" class="plain">
        {(hooks.state === "ready" ? hooks.value : []).map((h) => (
          <li key={h.id}>
            <code>{h.url}</code> {h.outcomes?.length ? `(${h.outcomes.join(", ")})` : "(every outcome)"}{" "}
            <button type="button" aria-expanded={open === h.id} onClick={() => setOpen(open === h.id ? undefined : h.id)}>
              Delivery log
            </button>{" "}
            <button type="button" onClick={() => test(h.id as string)}>
              Send a test
            </button>{" "}
            <button type="button" onClick={() => remove(h.id as string)}>
              Remove
            </button>
            {open === h.id ? <Deliveries id={h.id as string} /> : null}
          </li>
        ))}
      </ul>
      <form id="webhook-form" class="inline" onSubmit={create}>
        <label>
          Receiver URL{" "}
          <input id="webhook-url" name="webhook-url" type="url" required maxLength={2048} placeholder="https://..." />
        </label>
        <button type="submit">Add webhook</button>
      </form>
      <Status
        id="webhooks-result"
        text={hooks.state === "failed" ? hooks.error : result.text}
        error={hooks.state === "failed" || result.error}
      />
    </>
  );
}

/** What the deployment decides for the tenant: liveness per camera, and this gateway's MQTT notifications. */
function Deployment() {
  const [status] = useLoad(() => value(settle(client.GET("/v1/status"))), []);
  if (status.state !== "ready")
    return (
      <Status
        id="deployment-result"
        text={status.state === "failed" ? status.error : "loading"}
        error={status.state === "failed"}
      />
    );
  const { liveness, mqtt } = status.value;
  const cameras = Object.entries(liveness?.cameras ?? {});
  return (
    <dl class="facts">
      <dt>Liveness</dt>
      <dd id="liveness-status">
        {liveness?.policy} (from the {liveness?.source === "tenant" ? "policy above" : "deployment"})
        {cameras.length
          ? `; cameras with their own: ${cameras.map(([c, p]) => `${c} ${p}`).join(", ")}`
          : "; no camera has its own"}
      </dd>
      <dt>MQTT</dt>
      <dd id="mqtt-status" class={mqtt?.configured && !mqtt.connected ? "error" : undefined}>
        {mqtt?.configured
          ? `${mqtt.connected ? "connected" : "NOT connected (reconnecting)"}; ${mqtt.published} published, ${mqtt.dropped} dropped while away`
          : "not configured on this gateway (FACEREC_MQTT_URL)"}
      </dd>
    </dl>
  );
}

export function SettingsPage() {
  return (
    <Page
      title="Settings"
      intro="The tenant's privacy policy, what the deployment sets for it (liveness per camera, MQTT), its API keys and its webhooks (an admin key)."
    >
      <h3>Policy</h3>
      <PolicyForm />
      <h3>Liveness and MQTT</h3>
      <Deployment />
      <h3>Keys</h3>
      <Keys />
      <h3>Webhooks</h3>
      <Webhooks />
    </Page>
  );
}
