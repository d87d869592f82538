import type { RocPoint } from "./metrics.js";

export function rocCsv(curve: readonly RocPoint[]): string {
  return `threshold,far,tar\n${curve.map((p) => `${p.threshold},${p.far},${p.tar}`).join("\n")}\n`;
}

/** The ROC on a log-FAR axis (1e-4 .. 1), the usual view for biometric verification. */
export function rocSvg(curve: readonly RocPoint[], title: string): string {
  const w = 480;
  const h = 360;
  const m = 50;
  const x = (far: number): number => m + ((Math.log10(Math.max(far, 1e-4)) + 4) / 4) * (w - 2 * m);
  // Good systems live near TAR = 1: start the axis at the tenth below the curve's TAR at FAR = 1e-3.
  const floor = Math.min(0.9, Math.floor(10 * Math.min(...curve.filter((p) => p.far >= 1e-3).map((p) => p.tar), 1)) / 10);
  const y = (tar: number): number => h - m - ((Math.max(tar, floor) - floor) / (1 - floor)) * (h - 2 * m);
  const path = curve.map((p, i) => `${i ? "L" : "M"}${x(p.far).toFixed(1)},${y(p.tar).toFixed(1)}`).join(" ");
  const ticks = [1e-4, 1e-3, 1e-2, 1e-1, 1]
    .map((f) => `<text x="${x(f)}" y="${h - m + 16}" font-size="11" text-anchor="middle">${f}</text>`)
    .join("");
  const yTicks = [floor, (floor + 1) / 2, 1]
    .map((t) => `<text x="${m - 6}" y="${y(t) + 4}" font-size="11" text-anchor="end">${Number(t.toFixed(2))}</text>`)
    .join("");
  const escaped = title.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="20" font-size="13" text-anchor="middle">${escaped}</text>
<rect x="${m}" y="${m}" width="${w - 2 * m}" height="${h - 2 * m}" fill="none" stroke="#999"/>
${ticks}${yTicks}
<text x="${w / 2}" y="${h - 10}" font-size="12" text-anchor="middle">false accept rate (log)</text>
<text x="14" y="${h / 2}" font-size="12" transform="rotate(-90 14 ${h / 2})" text-anchor="middle">true accept rate</text>
<path d="${path}" fill="none" stroke="#1f5fbf" stroke-width="2"/>
</svg>
`;
}
