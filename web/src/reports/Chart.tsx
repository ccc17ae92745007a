/**
 * A small time-series chart (uPlot, drawn on canvas: no inline style or script, so it runs under
 * the CSP) with its figures as a table underneath for screen readers and keyboard users.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { t } from '../i18n/index.js';

export interface Series {
  label: string;
  values: number[];
  /** A stroke colour; read from tokens.css at draw time. */
  colorVar: string;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#333';
}

export function TimeChart({ id, title, days, series, table }: { id: string; title: string; days: string[]; series: Series[]; table: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = days.map((d) => Date.parse(`${d}T12:00:00Z`) / 1000);
    const width = Math.max(280, el.clientWidth || 600);
    const plot = new uPlot(
      {
        width,
        height: 220,
        title: '',
        scales: { x: { time: true } },
        axes: [{ stroke: cssVar('--color-text-muted') }, { stroke: cssVar('--color-text-muted') }],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: cssVar(s.colorVar), width: 2 }))],
      },
      [xs, ...series.map((s) => s.values)],
      el,
    );
    const onResize = () => plot.setSize({ width: Math.max(280, el.clientWidth || 600), height: 220 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [days, series]);
  return (
    <figure className="report-chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`} className="visually-hidden">{title}</figcaption>
      <div ref={box} className="report-chart__canvas" role="img" aria-label={title} />
      <details className="report-chart__data">
        <summary>{t('reports.dataTable')}</summary>
        {table}
      </details>
    </figure>
  );
}
