import { client, settle, useLoad, value } from "../api.js";
import { Page, Pending, Status, Table } from "../ui.js";

export function NoticePage() {
  const [notice] = useLoad(() => value(settle(client.GET("/v1/notice"))), []);
  if (notice.state !== "ready") {
    return (
      <Pending title="Transparency notice" id="notice-result" error={notice.state === "failed" ? notice.error : undefined} />
    );
  }
  const n = notice.value;
  return (
    <Page
      title="Transparency notice"
      intro="What the people the cameras see are told: the models, their measured error rates and where each figure comes from, what is kept and for how long."
    >
      <Status
        id="notice-result"
        text={`Policy version ${n.policyVersion}, notice version ${n.noticeVersion}; consent ${n.consentRequired ? "required" : "not required"} to enrol; contact: ${n.contact || "not set"}; models: ${(n.models ?? []).map((m) => `${m.role} ${m.id}`).join(", ")}`}
      />
      <Table caption="Error rates" columns={["measure", "value", "at", "source"]} bodyId="notice-rates">
        {(n.errorRates ?? []).map((r) => (
          <tr key={`${r.measure}-${r.at}`}>
            <td>{r.measure}</td>
            <td>{`${(100 * (r.value ?? 0)).toPrecision(3)}%`}</td>
            <td>{r.at}</td>
            <td>{r.source}</td>
          </tr>
        ))}
      </Table>
      <h3>What is kept</h3>
      <ul id="notice-stored">
        {(n.stored ?? []).map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
      <h3>For how long</h3>
      <ul id="notice-retention">
        {(n.retention ?? []).map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
      <h3>Liveness</h3>
      <p id="notice-liveness">{n.liveness}</p>
    </Page>
  );
}
