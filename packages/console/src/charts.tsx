// Two charts drawn as SVG (no chart library: two shapes do not need one), each with its figures in words
// for screen readers.

/** Outcome colours, the same in every chart and list (see console.css --good/--bad/--neutral). */
const FILL: Record<string, string> = { good: "var(--good)", bad: "var(--bad)", neutral: "var(--neutral)" };

export interface Stack {
  label: string;
  /** Counts by tone (good, bad, neutral), stacked in that order. */
  parts: { tone: string; count: number }[];
}

/** Stacked bars, one a column (an hour), with the column labels under every `every`th bar. */
export function StackedBars({ id, title, columns, every = 1 }: { id: string; title: string; columns: Stack[]; every?: number }) {
  const width = 640;
  const height = 160;
  const max = Math.max(1, ...columns.map((c) => c.parts.reduce((n, p) => n + p.count, 0)));
  const w = width / Math.max(1, columns.length);
  const total = columns.reduce((n, c) => n + c.parts.reduce((m, p) => m + p.count, 0), 0);
  return (
    <figure id={id} class="chart">
      <svg
        viewBox={`0 0 ${width} ${height + 18}`}
        role="img"
        aria-label={`${title}: ${total} in all, at most ${max} in one column`}
      >
        {columns.map((c, i) => {
          let y = height;
          return (
            <g key={c.label}>
              {c.parts.map((p) => {
                const h = (p.count / max) * (height - 4);
                y -= h;
                return (
                  <rect key={p.tone} x={i * w + 1} y={y} width={Math.max(1, w - 2)} height={h} fill={FILL[p.tone]}>
                    <title>{`${c.label}: ${p.count} ${p.tone}`}</title>
                  </rect>
                );
              })}
              {i % every === 0 ? (
                <text x={Math.min(width - 24, Math.max(24, i * w + w / 2))} y={height + 14} text-anchor="middle" class="axis">
                  {c.label}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

/** A histogram of values in [0, 1] in `bins` bins, with a line at `marker` (the threshold). */
export function Histogram({
  id,
  title,
  values,
  marker,
  bins = 20,
}: {
  id: string;
  title: string;
  values: number[];
  marker?: number | undefined;
  bins?: number;
}) {
  const width = 640;
  const height = 140;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(v * bins)));
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  const max = Math.max(1, ...counts);
  const w = width / bins;
  const above = marker === undefined ? 0 : values.filter((v) => v >= marker).length;
  const label =
    marker === undefined
      ? `${title}: ${values.length} scores`
      : `${title}: ${values.length} scores, ${above} at or above the threshold ${marker.toFixed(3)}`;
  return (
    <figure id={id} class="chart">
      <svg viewBox={`0 0 ${width} ${height + 18}`} role="img" aria-label={label}>
        {counts.map((c, i) => (
          <rect
            key={i}
            x={i * w + 1}
            y={height - (c / max) * (height - 4)}
            width={w - 2}
            height={(c / max) * (height - 4)}
            fill={marker !== undefined && (i + 1) / bins > marker ? FILL.good : FILL.neutral}
          >
            <title>{`${(i / bins).toFixed(2)}-${((i + 1) / bins).toFixed(2)}: ${c}`}</title>
          </rect>
        ))}
        {marker !== undefined ? <line x1={marker * width} x2={marker * width} y1={0} y2={height} class="marker" /> : null}
        {[0, 0.25, 0.5, 0.75, 1].map((t) => (
          <text key={t} x={Math.min(width - 12, Math.max(12, t * width))} y={height + 14} text-anchor="middle" class="axis">
            {t.toFixed(2)}
          </text>
        ))}
      </svg>
      <figcaption>{label}</figcaption>
    </figure>
  );
}
