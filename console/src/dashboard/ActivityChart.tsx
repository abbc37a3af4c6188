import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** One per-minute bucket as `activity(...)` returns it. */
export interface ActivityBucket {
  at: string;
  issued: number;
  refreshed: number;
  revoked: number;
  loginFailed: number;
  clientAuthFailed: number;
}

type ActivitySeries = Exclude<keyof ActivityBucket, 'at'>;

/** Labels and colours (each at least 3:1 against white, WCAG 1.4.11), told apart by dash as well as colour. */
const SERIES: Record<ActivitySeries, { label: string; stroke: string; dash?: number[] }> = {
  issued: { label: 'Issued', stroke: '#1f5fbf' },
  refreshed: { label: 'Refreshed', stroke: '#2e7d32', dash: [6, 3] },
  revoked: { label: 'Revoked', stroke: '#b3261e', dash: [2, 2] },
  loginFailed: { label: 'Failed logins', stroke: '#8a4b00', dash: [10, 4] },
  clientAuthFailed: { label: 'Client-auth failures', stroke: '#6a1b9a', dash: [4, 2, 1, 2] },
};

interface Props {
  title: string;
  buckets: ActivityBucket[];
  series: ActivitySeries[];
  /** Plot height in CSS pixels. */
  height?: number;
}

const dataOf = (buckets: ActivityBucket[], series: ActivitySeries[]): uPlot.AlignedData => [
  buckets.map((b) => Date.parse(b.at) / 1000),
  ...series.map((s) => buckets.map((b) => b[s])),
];

/**
 * Per-minute counts as a uPlot line chart, with a text summary (totals per series) that a screen reader reads in
 * place of the canvas. Resizes with its container.
 */
export function ActivityChart({ title, buckets, series, height = 220 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = series.join(',');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height,
        series: [
          {},
          ...series.map((s) => ({ label: SERIES[s].label, stroke: SERIES[s].stroke, dash: SERIES[s].dash, width: 2 })),
        ],
        // Counts: whole-number ticks only.
        axes: [{}, { size: 40, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 50000] }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      dataOf(buckets, series),
      el,
    );
    plot.current = chart;
    const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series change; new data goes through setData below.
  }, [key, height]);

  useEffect(() => {
    plot.current?.setData(dataOf(buckets, series));
  }, [buckets]);

  const totals = series.map((s) => `${SERIES[s].label}: ${buckets.reduce((n, b) => n + b[s], 0)}`).join(', ');
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}, per minute. Totals: ${totals}.`} />
    </figure>
  );
}
