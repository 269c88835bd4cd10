import { escapeSvgText } from './svg-text.js';

/**
 * A minimal line chart in plain SVG (no plotting library): one line per series, e.g. a metric per method
 * against stream inputs processed (like the paper's figures 3–5), or a time against codebook size on log
 * axes.
 */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

const palette = [
  '#1b9e77',
  '#d95f02',
  '#7570b3',
  '#e7298a',
  '#66a61e',
  '#e6ab02',
  '#a6761d',
  '#666666',
  '#1f78b4',
  '#b15928',
  '#6a3d9a',
  '#b2df8a',
];

export function renderLineChart(options: {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** Fixed y range, e.g. [0, 1] for accuracies; default from the data. */
  readonly yRange?: readonly [number, number];
  /** `log` draws the axis in powers of ten (positive data only); default linear from 0. */
  readonly xScale?: 'linear' | 'log';
  readonly yScale?: 'linear' | 'log';
}): string {
  const width = 720;
  const height = 320;
  const margin = { left: 56, right: 250, top: 34, bottom: 44 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const all = options.series.flatMap((series) => series.points);
  const xAxis = axis(
    all.map(([x]) => x),
    options.xScale ?? 'linear',
    undefined,
  );
  const yAxis = axis(
    all.map(([, y]) => y),
    options.yScale ?? 'linear',
    options.yRange,
  );
  const scaleX = (x: number): number => margin.left + xAxis.fraction(x) * plotWidth;
  const scaleY = (y: number): number => margin.top + plotHeight - yAxis.fraction(y) * plotHeight;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${margin.left}" y="20" font-size="14">${escapeSvgText(options.title)}</text>`,
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
  ];
  for (const y of yAxis.ticks) {
    parts.push(
      `<text x="${margin.left - 6}" y="${(scaleY(y) + 4).toFixed(1)}" text-anchor="end">${formatTick(y)}</text>`,
    );
  }
  for (const x of xAxis.ticks) {
    parts.push(
      `<text x="${scaleX(x).toFixed(1)}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${formatTick(x)}</text>`,
    );
  }
  parts.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - 8}" text-anchor="middle">${escapeSvgText(options.xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${margin.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 14 ${margin.top + plotHeight / 2})">${escapeSvgText(options.yLabel)}</text>`,
  );
  options.series.forEach((series, index) => {
    const colour = palette[index % palette.length];
    const path = series.points.map(([x, y]) => `${scaleX(x).toFixed(1)},${scaleY(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const legendY = margin.top + 14 + index * 18;
    parts.push(
      `<line x1="${width - margin.right + 10}" x2="${width - margin.right + 30}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${colour}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${width - margin.right + 36}" y="${legendY}">${escapeSvgText(series.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Where a value falls on an axis (0 at the low end, 1 at the high end) and the ticks to label. */
function axis(
  values: readonly number[],
  scale: 'linear' | 'log',
  range: readonly [number, number] | undefined,
): { fraction(value: number): number; ticks: number[] } {
  if (scale === 'log') {
    const positive = values.filter((value) => value > 0);
    const [smallest, largest] =
      range ?? (positive.length === 0 ? [1, 10] : [Math.min(...positive), Math.max(...positive)]);
    const low = Math.floor(Math.log10(smallest));
    const high = Math.max(low + 1, Math.ceil(Math.log10(largest)));
    return {
      fraction: (value) => (Math.log10(Math.max(value, 10 ** low)) - low) / (high - low),
      ticks: Array.from({ length: high - low + 1 }, (_, index) => 10 ** (low + index)),
    };
  }
  const [low, high] = range ?? [Math.min(0, ...values), Math.max(1e-9, ...values)];
  return {
    fraction: (value) => (value - low) / (high - low || 1),
    ticks: Array.from({ length: 5 }, (_, tick) => low + ((high - low) * tick) / 4),
  };
}

function formatTick(value: number): string {
  if (Math.abs(value) >= 1e5) return value.toExponential(0).replace('+', '');
  if (Math.abs(value) > 0 && Math.abs(value) < 0.01) return value.toExponential(0);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
