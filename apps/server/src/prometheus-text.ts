import type { GraceService } from './grace-service.js';

/** Request counts and durations per route and status, kept by the HTTP layer. */
export class HttpMetrics {
  readonly requests = new Map<string, { count: number; seconds: number }>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `method="${method}",route="${escapeLabel(route)}",status="${status}"`;
    const entry = this.requests.get(key) ?? { count: 0, seconds: 0 };
    entry.count++;
    entry.seconds += seconds;
    this.requests.set(key, entry);
  }
}

/** The Prometheus text exposition (version 0.0.4) of the service and HTTP counters. */
export function prometheusText(service: GraceService, http: HttpMetrics): string {
  const { metrics, codebook } = service;
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [string, number][]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples)
      lines.push(`${name}${labels === '' ? '' : `{${labels}}`} ${value}`);
  };
  const model = `model="${escapeLabel(service.servedModel.name)}"`;
  metric('grace_predictions_total', 'counter', 'Inputs predicted.', [[model, metrics.predictions]]);
  metric(
    'grace_edits_total',
    'counter',
    'Edits accepted, by codebook operation.',
    Object.entries(metrics.edits).map(([operation, count]) => [`${model},operation="${operation}"`, count]),
  );
  metric('grace_edits_failed_total', 'counter', 'Edits refused or failed during training.', [
    [model, metrics.failedEdits],
  ]);
  metric('grace_rollbacks_total', 'counter', 'Edits rolled back.', [[model, metrics.rollbacks]]);
  metric('grace_restores_total', 'counter', 'Snapshot restores.', [[model, metrics.restores]]);
  metric('grace_edit_seconds_total', 'counter', 'Wall time spent training, logging and applying edits.', [
    [model, metrics.editSeconds],
  ]);
  metric('grace_codebook_keys', 'gauge', 'Keys in the committed codebook.', [[model, codebook.size]]);
  metric('grace_codebook_edits', 'gauge', 'Active edits in the committed codebook.', [
    [model, codebook.records.length],
  ]);
  metric('grace_edit_queue_depth', 'gauge', 'Mutations waiting or running.', [[model, service.queueDepth]]);
  const requests = [...http.requests.entries()];
  metric(
    'grace_http_requests_total',
    'counter',
    'HTTP requests by route and status.',
    requests.map(([labels, entry]) => [labels, entry.count]),
  );
  metric(
    'grace_http_request_seconds_total',
    'counter',
    'Summed HTTP request durations by route and status.',
    requests.map(([labels, entry]) => [labels, entry.seconds]),
  );
  return `${lines.join('\n')}\n`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
