// Small charts with uPlot: runs per hour (stacked bars) and durations of recent runs.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { browserZone, formatDay, formatTime } from './time.js';

function cssVar(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function sizeOf(container, height) {
  return { width: Math.max(260, container.clientWidth || 600), height };
}

/** Keep a chart as wide as its container. Returns a function that removes the chart. */
function responsive(chart, container, height) {
  const observer = new ResizeObserver(() => chart.setSize(sizeOf(container, height)));
  observer.observe(container);
  return () => { observer.disconnect(); chart.destroy(); };
}

/** Time-axis labels in the browser's zone and clock style (uPlot's own are 12-hour: "2pm"). */
function timeLabels(u, splits, axisIndex, space, increment) {
  const zone = browserZone();
  return splits.map((s) => (increment >= 86400 ? formatDay(s * 1000, zone) : formatTime(s * 1000, zone)));
}

function axes(valueLabel) {
  const text = cssVar('--text-muted', '#667085');
  const grid = cssVar('--border', '#e4e7ec');
  return [
    { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, values: timeLabels },
    { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, label: valueLabel, size: 56 },
  ];
}

/** Stacked succeeded/failed bars per hour. rows: [{hour, succeeded, failed}]. */
export function runsByHourChart(container, rows) {
  const height = 220;
  const xs = rows.map((r) => Math.floor(new Date(r.hour).getTime() / 1000));
  const ok = rows.map((r) => r.succeeded || 0);
  const failed = rows.map((r) => r.failed || 0);
  const stackedFailed = failed.map((f, i) => f + ok[i]);
  const bars = uPlot.paths.bars({ size: [0.7, 40] });
  const chart = new uPlot({
    ...sizeOf(container, height),
    // No live legend: it reads "Time: --" until hovered. The page writes the key beside the chart.
    legend: { show: false },
    cursor: { points: { show: false } },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(4, max)] } },
    axes: axes('runs'),
    series: [
      {},
      { label: 'Failed', fill: cssVar('--danger', '#d92d20'), width: 0, paths: bars, points: { show: false },
        value: (u, v, s, i) => (i == null ? '—' : failed[i]) },
      { label: 'Succeeded', fill: cssVar('--success', '#079455'), width: 0, paths: bars, points: { show: false } },
    ],
  }, [xs, stackedFailed, ok], container);
  return responsive(chart, container, height);
}

/** Durations (ms) of recent executions, oldest first. points: [{at (ISO), duration_ms, status}]. */
export function durationChart(container, points) {
  const height = 180;
  const xs = points.map((p) => Math.floor(new Date(p.at).getTime() / 1000));
  const ys = points.map((p) => p.duration_ms);
  const chart = new uPlot({
    ...sizeOf(container, height),
    legend: { show: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(10, max * 1.15)] } },
    axes: axes('ms'),
    series: [
      {},
      { label: 'Duration (ms)', stroke: cssVar('--accent', '#4f46e5'), width: 2,
        fill: cssVar('--accent-soft', 'rgba(79,70,229,0.12)'), points: { show: true, size: 6 } },
    ],
  }, [xs, ys], container);
  return responsive(chart, container, height);
}
