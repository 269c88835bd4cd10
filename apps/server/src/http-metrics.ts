import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GraceService } from './grace-service.js';

/**
 * The Prometheus metrics of one server, in a registry of its own (two servers in one process never mix):
 * request latency histograms per route, method and status, the service's counters, and the gauges an
 * operator watches under load — codebook size, the edit queue, predictions waiting for a worker, store
 * health.
 */
export function createMetricsRegistry(service: GraceService): {
  registry: Registry;
  observe: (method: string, route: string, status: number, seconds: number) => void;
} {
  const registry = new Registry();
  registry.setDefaultLabels({ model: service.servedModel.name });
  const latency = new Histogram({
    name: 'grace_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const counter = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  const { metrics } = service;
  counter('grace_predictions_total', 'Inputs predicted.', () => metrics.predictions);
  new Counter({
    name: 'grace_edits_total',
    help: 'Edits accepted, by codebook operation.',
    labelNames: ['operation'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [operation, count] of Object.entries(metrics.edits)) this.inc({ operation }, count);
    },
  });
  counter('grace_edits_failed_total', 'Edits refused or failed during training.', () => metrics.failedEdits);
  counter('grace_rollbacks_total', 'Edits rolled back.', () => metrics.rollbacks);
  counter('grace_restores_total', 'Snapshot restores.', () => metrics.restores);
  counter(
    'grace_edit_seconds_total',
    'Wall time training, logging and applying edits.',
    () => metrics.editSeconds,
  );
  gauge('grace_codebook_keys', 'Keys in the committed codebook.', () => service.codebook.size);
  gauge(
    'grace_codebook_edits',
    'Active edits in the committed codebook.',
    () => service.codebook.records.length,
  );
  gauge(
    'grace_log_position',
    'Last edit log position the committed codebook includes.',
    () => service.logPosition,
  );
  gauge('grace_edit_queue_depth', 'Mutations waiting or running.', () => service.queueDepth);
  gauge(
    'grace_prediction_queue_depth',
    'Prediction slices waiting for a worker.',
    () => service.predictionQueueDepth,
  );
  gauge('grace_ready', '1 when edits can be taken (the edit log is writable).', () =>
    service.readiness().ready ? 1 : 0,
  );
  return {
    registry,
    observe: (method, route, status, seconds) =>
      latency.observe({ method, route, status: String(status) }, seconds),
  };
}
