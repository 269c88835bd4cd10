import { GraceError } from '../errors.js';
import type { GraphNode } from './suffix-graph.js';

/**
 * Node indices in an order where every node comes after the nodes whose outputs it reads (Kahn's algorithm).
 * Among ready nodes the one listed first goes first, so a graph already in order keeps its order and error
 * messages and execution follow the order the author wrote. A cycle is `GRAPH_INVALID` naming the nodes on
 * it or behind it. `producers` maps a value name to the index of the node that writes it.
 */
export function topologicalOrder(
  nodes: readonly GraphNode[],
  producers: ReadonlyMap<string, number>,
): number[] {
  const waitingOn = nodes.map(() => 0);
  const readers = nodes.map((): number[] => []);
  nodes.forEach((node, index) => {
    for (const input of new Set(node.inputs)) {
      const producer = producers.get(input);
      if (producer === undefined) continue;
      waitingOn[index] = (waitingOn[index] as number) + 1;
      (readers[producer] as number[]).push(index);
    }
  });
  const ready = nodes.map((_, index) => index).filter((index) => waitingOn[index] === 0);
  const order: number[] = [];
  while (ready.length > 0) {
    // `ready` is kept sorted, so the earliest listed ready node goes next.
    const index = ready.shift() as number;
    order.push(index);
    for (const reader of readers[index] as number[]) {
      waitingOn[reader] = (waitingOn[reader] as number) - 1;
      if (waitingOn[reader] === 0) {
        const position = ready.findIndex((other) => other > reader);
        ready.splice(position < 0 ? ready.length : position, 0, reader);
      }
    }
  }
  if (order.length < nodes.length) {
    const stuck = nodes.filter((_, index) => (waitingOn[index] as number) > 0).map((node) => node.name);
    throw new GraceError(
      'GRAPH_INVALID',
      `the graph has a cycle: nodes ${stuck.map((name) => `'${name}'`).join(', ')} are on it or depend on it`,
      { nodes: stuck },
    );
  }
  return order;
}
