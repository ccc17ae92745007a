/**
 * Two small SVG charts for the awareness pages: grouped bars (per campaign, per team) and lines (by month, a
 * person's score). Drawn by hand as plain SVG — no inline style or script, so they run under the CSP; colours
 * come from CSS classes (tokens.css). Each chart has a text title for screen readers, and each page shows
 * the same figures as a table.
 */
import { t } from '../i18n/index.js';

export interface ChartSeries {
  label: string;
  /** A class giving the colour: aw-c1 … aw-c3. */
  tone: 'aw-c1' | 'aw-c2' | 'aw-c3';
}

const W = 640;
const H = 220;
const PAD = { left: 40, right: 12, top: 12, bottom: 44 };
const plotW = W - PAD.left - PAD.right;
const plotH = H - PAD.top - PAD.bottom;

function shorten(label: string, max = 16): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

function Axis({ max, format }: { max: number; format: (v: number) => string }) {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  return (
    <g className="aw-axis">
      {ticks.map((v) => {
        const y = PAD.top + plotH - (v / max) * plotH;
        return (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} className="aw-grid" />
            <text x={PAD.left - 4} y={y + 4} textAnchor="end">{format(v)}</text>
          </g>
        );
      })}
    </g>
  );
}

function Legend({ series }: { series: ChartSeries[] }) {
  return (
    <ul className="aw-legend">
      {series.map((s) => <li key={s.label}><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" className={s.tone} /></svg> {s.label}</li>)}
    </ul>
  );
}

/** Bars grouped by label; values between 0 and `max` (null: no bar). */
export function BarChart({ title, labels, series, values, max, format }: { title: string; labels: string[]; series: ChartSeries[]; values: Array<Array<number | null>>; max: number; format: (v: number) => string }) {
  const groupW = labels.length ? plotW / labels.length : plotW;
  const barW = Math.max(2, Math.min(28, (groupW * 0.8) / Math.max(1, series.length)));
  return (
    <figure className="aw-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title} className="aw-chart__svg">
        <Axis max={max} format={format} />
        {labels.map((label, gi) => {
          const x0 = PAD.left + gi * groupW + (groupW - barW * series.length) / 2;
          return (
            <g key={`${label}-${gi}`}>
              {series.map((s, si) => {
                const v = values[gi]?.[si];
                if (v === null || v === undefined) return null;
                const h = Math.max(v > 0 ? 1 : 0, (Math.min(v, max) / max) * plotH);
                return <rect key={s.label} x={x0 + si * barW} y={PAD.top + plotH - h} width={barW - 1} height={h} className={s.tone}><title>{`${label} — ${s.label}: ${format(v)}`}</title></rect>;
              })}
              <text x={PAD.left + gi * groupW + groupW / 2} y={H - PAD.bottom + 16} textAnchor="middle" className="aw-label">{shorten(label, Math.max(6, Math.floor(groupW / 7)))}</text>
            </g>
          );
        })}
      </svg>
      <figcaption><span className="visually-hidden">{title}</span><Legend series={series} /></figcaption>
    </figure>
  );
}

/** Lines over evenly spaced labels (months) or over time (`xs` in milliseconds); values between 0 and `max`. */
export function LineChart({ title, labels, xs, series, values, max, format }: { title: string; labels: string[]; xs?: number[]; series: ChartSeries[]; values: Array<Array<number | null>>; max: number; format: (v: number) => string }) {
  const n = labels.length;
  const minX = xs?.length ? Math.min(...xs) : 0;
  const spanX = xs?.length ? Math.max(1, Math.max(...xs) - minX) : 1;
  const xAt = (i: number) => PAD.left + (xs ? ((xs[i]! - minX) / spanX) * plotW : n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const yAt = (v: number) => PAD.top + plotH - (Math.min(v, max) / max) * plotH;
  const every = Math.max(1, Math.ceil(n / 8));
  return (
    <figure className="aw-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title} className="aw-chart__svg">
        <Axis max={max} format={format} />
        {series.map((s, si) => {
          const pts = labels.map((_, i) => [i, values[i]?.[si] ?? null] as const).filter((p): p is readonly [number, number] => p[1] !== null);
          return (
            <g key={s.label} className={s.tone}>
              <polyline points={pts.map(([i, v]) => `${xAt(i)},${yAt(v)}`).join(' ')} className="aw-line" />
              {pts.map(([i, v]) => <circle key={i} cx={xAt(i)} cy={yAt(v)} r={3}><title>{`${labels[i]} — ${s.label}: ${format(v)}`}</title></circle>)}
            </g>
          );
        })}
        {labels.map((label, i) => (i % every === 0 || i === n - 1
          ? <text key={i} x={xAt(i)} y={H - PAD.bottom + 16} textAnchor={n > 1 && i === 0 ? 'start' : n > 1 && i === n - 1 ? 'end' : 'middle'} className="aw-label">{shorten(label, 12)}</text>
          : null))}
      </svg>
      <figcaption><span className="visually-hidden">{title}</span><Legend series={series} /></figcaption>
    </figure>
  );
}

export const percent = (v: number | null) => (v === null ? t('awareness.none') : t('awareness.percent', { value: Math.round(v * 1000) / 10 }));
