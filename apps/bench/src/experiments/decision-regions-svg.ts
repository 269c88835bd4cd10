import type { LabelledPoint } from '@grace/models';
import { escapeSvgText } from '../svg-text.js';

/**
 * Draws decision regions side by side as one SVG, like the paper's figure 6: each panel colours a grid of
 * cells by predicted class, then overlays the upstream points, the edited points and (for GRACE) the
 * codebook's balls. Plain SVG text, so it needs no canvas or image library and opens in any browser.
 */
export interface RegionPanel {
  readonly title: string;
  /** Predicted class per cell, row-major from the top-left. */
  readonly grid: Uint8Array;
  readonly balls?: readonly { readonly centre: readonly [number, number]; readonly radius: number }[];
}

export interface RegionFigure {
  readonly panels: readonly RegionPanel[];
  readonly columns: number;
  readonly rows: number;
  readonly extent: {
    readonly xMin: number;
    readonly xMax: number;
    readonly yMin: number;
    readonly yMax: number;
  };
  readonly upstream: readonly LabelledPoint[];
  readonly edits: readonly LabelledPoint[];
}

const panelWidth = 360;
const titleHeight = 28;
const classFill = ['#c6dbef', '#fdd0a2'] as const;
const classStroke = ['#2171b5', '#d94801'] as const;

export function renderDecisionRegions(figure: RegionFigure): string {
  const { columns, rows, extent } = figure;
  const panelHeight = Math.round((panelWidth * (extent.yMax - extent.yMin)) / (extent.xMax - extent.xMin));
  const cellWidth = panelWidth / columns;
  const cellHeight = panelHeight / rows;
  const scaleX = (x: number): number => ((x - extent.xMin) / (extent.xMax - extent.xMin)) * panelWidth;
  const scaleY = (y: number): number => ((extent.yMax - y) / (extent.yMax - extent.yMin)) * panelHeight;
  const gap = 16;
  const width = figure.panels.length * (panelWidth + gap) - gap;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${panelHeight + titleHeight}" font-family="sans-serif" font-size="14">`,
    '<rect width="100%" height="100%" fill="white"/>',
  ];
  figure.panels.forEach((panel, panelIndex) => {
    parts.push(`<g transform="translate(${panelIndex * (panelWidth + gap)},0)">`);
    parts.push(
      `<text x="${panelWidth / 2}" y="18" text-anchor="middle">${escapeSvgText(panel.title)}</text>`,
    );
    parts.push(`<g transform="translate(0,${titleHeight})">`);
    // One rect per run of equal cells in a row, and the points as round-capped zero-length strokes in one
    // path per class: the same picture in a few percent of the bytes of one element per cell and per point.
    for (let row = 0; row < rows; row++) {
      let start = 0;
      for (let column = 1; column <= columns; column++) {
        const predicted = panel.grid[row * columns + start] === 1 ? 1 : 0;
        if (column < columns && (panel.grid[row * columns + column] === 1 ? 1 : 0) === predicted) continue;
        parts.push(
          `<rect x="${(start * cellWidth).toFixed(1)}" y="${(row * cellHeight).toFixed(1)}" width="${((column - start) * cellWidth + 0.3).toFixed(1)}" height="${(cellHeight + 0.3).toFixed(1)}" fill="${classFill[predicted]}"/>`,
        );
        start = column;
      }
    }
    for (const label of [0, 1] as const) {
      parts.push(dots(figure.upstream, label, scaleX, scaleY, classStroke[label], 3.6));
    }
    for (const label of [0, 1] as const) {
      parts.push(dots(figure.edits, label, scaleX, scaleY, 'black', 6.8));
      parts.push(dots(figure.edits, label, scaleX, scaleY, classStroke[label], 5.2));
    }
    for (const ball of panel.balls ?? []) {
      const radius = (ball.radius / (extent.xMax - extent.xMin)) * panelWidth;
      parts.push(
        `<circle cx="${scaleX(ball.centre[0]).toFixed(1)}" cy="${scaleY(ball.centre[1]).toFixed(1)}" r="${radius.toFixed(1)}" fill="none" stroke="black" stroke-dasharray="3,2"/>`,
      );
    }
    parts.push(`<rect width="${panelWidth}" height="${panelHeight}" fill="none" stroke="#555"/>`);
    parts.push('</g></g>');
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The points of one class as dots of `diameter` pixels: one path of `M x y h0` moves with round caps. */
function dots(
  points: readonly LabelledPoint[],
  label: 0 | 1,
  scaleX: (x: number) => number,
  scaleY: (y: number) => number,
  colour: string,
  diameter: number,
): string {
  const moves = points
    .filter((point) => point.label === label)
    .map(({ point }) => `M${scaleX(point[0]).toFixed(1)} ${scaleY(point[1]).toFixed(1)}h0`)
    .join('');
  return `<path d="${moves}" stroke="${colour}" stroke-width="${diameter}" stroke-linecap="round"/>`;
}
