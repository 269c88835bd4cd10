import { escapeSvgText } from './svg-text.js';

/**
 * A minimal horizontal bar chart in plain SVG (no plotting library), for one measure over a few labelled
 * cases, e.g. the median edit time per backend and workload. Each bar is labelled with its value.
 */
export function renderBarChart(options: {
  readonly title: string;
  /** Unit of the values, printed after each bar's value, e.g. `ms`. */
  readonly unit: string;
  readonly bars: readonly { readonly label: string; readonly value: number }[];
}): string {
  const barHeight = 22;
  const labelWidth = 220;
  const plotWidth = 420;
  const top = 34;
  const width = labelWidth + plotWidth + 110;
  const height = top + options.bars.length * barHeight + 12;
  const largest = Math.max(1e-9, ...options.bars.map((bar) => bar.value));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="10" y="20" font-size="14">${escapeSvgText(options.title)}</text>`,
  ];
  options.bars.forEach((bar, index) => {
    const y = top + index * barHeight;
    const length = Math.max(1, (bar.value / largest) * plotWidth);
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeSvgText(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${length.toFixed(1)}" height="${barHeight - 6}" fill="#1b9e77"/>`,
      `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 15}">${escapeSvgText(`${bar.value.toPrecision(3)} ${options.unit}`)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
