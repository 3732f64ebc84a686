/**
 * PNG plots of a run: throughput over time (ours, naive, ceiling: one panel each, their scales differ
 * by orders of magnitude) and the latency CDF of the phase at the rate and at 50 % of it. We write
 * the SVG ourselves and render it with resvg (prebuilt in its npm package) using a font file that an
 * npm package ships, so the plots look the same on every machine and need nothing downloaded.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import type { BaselineResult } from './baselines.js';
import type { OursPhase } from './ours.js';
import { cdfPoints, type PhaseSample } from './stats.js';
import { formatCount } from '../local/lib/format.js';

const require = createRequire(import.meta.url);
const FONT = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly logX?: boolean;
}

/** 1-2-5 ticks covering [lo, hi]. */
function ticks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

function label(v: number): string {
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function panelSvg(p: Panel, x0: number, y0: number, w: number, h: number): string {
  const left = 70;
  const right = 250;
  const top = 30;
  const bottom = 45;
  const pw = w - left - right;
  const ph = h - top - bottom;
  const all = p.series.flatMap((s) => s.points);
  const fx = p.logX ? (v: number) => Math.log10(Math.max(v, 1e-3)) : (v: number) => v;
  const xs = all.map(([x]) => fx(x));
  const ys = all.map(([, y]) => y);
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const yMax = ys.length ? Math.max(...ys) * 1.08 || 1 : 1;
  const sx = (v: number) => x0 + left + ((fx(v) - xMin) / (xMax - xMin || 1)) * pw;
  const sy = (v: number) => y0 + top + ph - (v / yMax) * ph;
  const parts: string[] = [];
  parts.push(
    `<text x="${x0 + left}" y="${y0 + 20}" font-size="15" font-weight="bold">${esc(p.title)}</text>`,
  );
  for (const t of ticks(0, yMax)) {
    parts.push(
      `<line x1="${x0 + left}" x2="${x0 + left + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/>`,
    );
    parts.push(
      `<text x="${x0 + left - 6}" y="${sy(t) + 4}" font-size="11" text-anchor="end">${label(t)}</text>`,
    );
  }
  // Log axis: 1-2-5 in every decade the data spans.
  const xTicks = p.logX
    ? Array.from(
        { length: Math.ceil(xMax) - Math.floor(xMin) + 1 },
        (_, i) => 10 ** (Math.floor(xMin) + i),
      ).flatMap((d) => [d, 2 * d, 5 * d])
    : ticks(xMin, xMax);
  for (const t of xTicks) {
    const x = sx(t);
    if (x < x0 + left - 1 || x > x0 + left + pw + 1) continue;
    parts.push(`<line x1="${x}" x2="${x}" y1="${y0 + top}" y2="${y0 + top + ph}" stroke="#f0f0f0"/>`);
    parts.push(
      `<text x="${x}" y="${y0 + top + ph + 16}" font-size="11" text-anchor="middle">${label(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${x0 + left}" y="${y0 + top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
  );
  parts.push(
    `<text x="${x0 + left + pw / 2}" y="${y0 + h - 8}" font-size="12" text-anchor="middle">${esc(p.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(${x0 + 16} ${y0 + top + ph / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(p.yLabel)}</text>`,
  );
  p.series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points
        .map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
        .join(' ');
      parts.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
    const ly = y0 + top + 14 + i * 18;
    const lx = x0 + left + pw + 12;
    parts.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    parts.push(`<text x="${lx + 28}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  return parts.join('\n');
}

function render(file: string, panels: readonly Panel[], width = 1000, panelHeight = 300): string {
  const height = panels.length * panelHeight;
  const body = panels.map((p, i) => panelSvg(p, 0, i * panelHeight, width, panelHeight)).join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans">
<rect width="100%" height="100%" fill="white"/>
${body}
</svg>`;
  const png = new Resvg(svg, {
    font: { fontFiles: [FONT], loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  writeFileSync(file, png);
  return file;
}

/** Per-interval rates from cumulative samples, at each interval's end. */
function rates(
  samples: readonly PhaseSample[],
  key: 'produced' | 'processed',
  offsetS = 0,
): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (b.t > a.t) out.push([offsetS + b.t, (b[key] - a[key]) / (b.t - a.t)]);
  }
  return out;
}

export function renderPlots(
  outDir: string,
  phases: readonly OursPhase[],
  baselines?: { naive: BaselineResult; ceiling: BaselineResult },
): string[] {
  const measured = phases.filter((p) => p.name === 'main' || p.name === 'half');
  const t0 = phases[0]?.startedAt ?? 0;
  const oursSeries: Series[] = [];
  measured.forEach((p, i) => {
    const offset = (p.startedAt - t0) / 1000;
    const rate = p.targetRate ? `${formatCount(p.targetRate)}/s` : 'max';
    oursSeries.push({
      name: `${p.name} processed`,
      color: COLORS[i]!,
      points: rates(p.samples, 'processed', offset),
    });
    oursSeries.push({
      name: `${p.name} input (${rate})`,
      color: COLORS[i]!,
      points: rates(p.samples, 'produced', offset),
      dashed: true,
    });
  });
  const panels: Panel[] = [
    {
      title: 'Ours: events/s processed (solid) and produced (dashed), phases at the rate and at 50 %',
      xLabel: 'seconds since the first phase started',
      yLabel: 'events/s',
      series: oursSeries,
    },
  ];
  if (baselines) {
    panels.push({
      // The offered input is far above what it completes: drawn, it would flatten the line that matters.
      title: `Naive baseline: one workflow per event (offered ${formatCount(baselines.naive.offered)} events/s)`,
      xLabel: 'seconds',
      yLabel: 'events/s',
      series: [{ name: 'processed', color: COLORS[2]!, points: rates(baselines.naive.samples, 'processed') }],
    });
    panels.push({
      title: 'Ceiling baseline: kafkajs pass-through draining a backlog',
      xLabel: 'seconds',
      yLabel: 'records/s',
      series: [
        { name: 'passed through', color: COLORS[3]!, points: rates(baselines.ceiling.samples, 'processed') },
      ],
    });
  }
  const files = [render(join(outDir, 'throughput.png'), panels)];
  const cdf: Series[] = measured.map((p, i) => ({
    name: `${p.name}: p50 ${Math.round(p.latencyMs?.p50 ?? NaN)} ms, p99 ${Math.round(p.latencyMs?.p99 ?? NaN)} ms`,
    color: COLORS[i]!,
    points: cdfPoints(p.latencySorted ?? new Float64Array()).map(
      ({ q, value }) => [Math.max(1, value), q] as const,
    ),
  }));
  files.push(
    render(
      join(outDir, 'latency-cdf.png'),
      [
        {
          title: 'Latency CDF: reading timestamp → SensorDataProcessed record (Kafka timestamp)',
          xLabel: 'milliseconds (log scale)',
          yLabel: 'share of events at or below',
          series: cdf,
          logX: true,
        },
      ],
      1000,
      380,
    ),
  );
  return files;
}
