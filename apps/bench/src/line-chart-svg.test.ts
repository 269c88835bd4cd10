import { describe, expect, it } from 'vitest';
import { renderLineChart } from './line-chart-svg.js';

describe('renderLineChart', () => {
  it('spans a log axis from the decade below the data to the decade above', () => {
    const svg = renderLineChart({
      title: 'times',
      xLabel: 'N',
      yLabel: 'ms',
      series: [
        {
          name: 'cpu',
          points: [
            [100, 0.5],
            [1000, 20],
          ],
        },
      ],
      xScale: 'log',
      yScale: 'log',
    });
    const labels = [...svg.matchAll(/text-anchor="(?:middle|end)">([^<]+)</g)].map((match) => match[1]);
    expect(labels).toEqual(['0.10', '1.00', '10.0', '100', '100', '1000', 'N']);
    // The first point sits on the left edge (x = 100 is the axis start), the last on the right edge.
    expect(svg).toMatch(/<polyline points="56\.0,[\d.]+ 470\.0,[\d.]+"/);
  });

  it('keeps a linear axis from 0 with a fixed y range', () => {
    const svg = renderLineChart({
      title: 'accuracy',
      xLabel: 'inputs',
      yLabel: 'accuracy',
      series: [
        {
          name: 'GRACE',
          points: [
            [0, 1],
            [50, 0.5],
          ],
        },
      ],
      yRange: [0, 1],
    });
    expect(svg).toMatch(/<polyline points="56\.0,34\.0 470\.0,155\.0"/);
  });
});
