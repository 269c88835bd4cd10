/**
 * The page at `/`: plain HTML, a style sheet and a little JavaScript over the JSON API (no framework, nothing
 * fetched from elsewhere, nothing inline, so the Content-Security-Policy can forbid inline scripts), so an
 * operator can try an input, correct the model, browse and roll back edits, and watch the codebook. The token
 * lives only in the page's memory and goes out as a bearer header.
 */
export const webPageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GRACE server</title>
<link rel="stylesheet" href="/page.css">
</head>
<body>
<h1>GRACE server</h1>
<p id="model">loading…</p>
<section>
  <h2>Predict</h2>
  <label>Input <input id="input" autocomplete="off"></label>
  <button id="predict">Predict</button>
  <p>Prediction: <strong id="prediction">–</strong> · <span id="fired">–</span></p>
</section>
<section>
  <h2>Correct</h2>
  <label>Token <input id="token" type="password" autocomplete="off"></label>
  <label>Correct label <select id="label"></select></label>
  <button id="correct">Correct this input</button>
  <p id="status"></p>
</section>
<section>
  <h2>Codebook</h2>
  <p id="stats">–</p>
</section>
<section>
  <h2>Edits</h2>
  <table><thead><tr><th>id</th><th>time</th><th>input</th><th>label</th><th>operation</th><th>key</th><th></th></tr></thead>
  <tbody id="edits"></tbody></table>
</section>
<script src="/page.js"></script>
</body>
</html>
`;

/** The page's style sheet, served at `/page.css`. */
export const webPageStyle = `  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
  section { border: 1px solid #ddd; border-radius: 6px; padding: 0.8rem 1rem; margin: 1rem 0; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin: 0 0 0.5rem; }
  input, select, button { font: inherit; padding: 0.25rem 0.5rem; }
  #input { width: 28rem; } table { border-collapse: collapse; width: 100%; }
  td, th { border-bottom: 1px solid #eee; padding: 0.2rem 0.4rem; text-align: left; font-size: 0.9rem; }
  td, #prediction, #status { unicode-bidi: isolate; }
  .fired { color: #a50; font-weight: bold; } .error { color: #b00; } code { background: #f4f4f4; }
`;

/** The page's script, served at `/page.js`. */
export const webPageScript = String.raw`'use strict';
let model = null;
const $ = (id) => document.getElementById(id);
// Bidirectional controls (an RTL override in an input) are shown as escapes, never obeyed: a text must not
// reorder what is displayed after it.
const visible = (text) => String(text).replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (character) => '\\u' + character.charCodeAt(0).toString(16).padStart(4, '0'));
const show = (message, isError) => { $('status').textContent = visible(message); $('status').className = isError ? 'error' : ''; };

function readInput() {
  const text = $('input').value;
  if (model.inputSchema.type === 'string') return text;
  return JSON.parse(text);
}

async function call(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = $('token').value;
  if (token) headers.authorization = 'Bearer ' + token;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const payload = await response.json();
  if (!response.ok) throw new Error((payload.field ? payload.field + ': ' : '') + payload.message);
  return payload;
}

async function predict() {
  try {
    const { predictions: [prediction] } = await call('POST', '/v1/predict', { inputs: [readInput()] });
    $('prediction').textContent = JSON.stringify(prediction.label);
    $('fired').textContent = prediction.fired ? 'key ' + prediction.keyIndex + ' fired (' + prediction.editId + ')' : 'no key fired';
    $('fired').className = prediction.fired ? 'fired' : '';
  } catch (error) { show(String(error.message), true); }
}

async function correct() {
  try {
    const label = model.labels[Number($('label').value)];
    show('training…', false);
    const { edits: [edit] } = await call('POST', '/v1/edits', { edits: [{ input: readInput(), label }] });
    show(edit.id + ': ' + edit.operation + ' key ' + edit.keyIndex + (edit.fixed ? ', fixed' : ', not fixed yet'), false);
    await Promise.all([predict(), refresh()]);
  } catch (error) { show(String(error.message), true); }
}

async function rollback(id) {
  try {
    await call('DELETE', '/v1/edits/' + encodeURIComponent(id));
    show(id + ' rolled back', false);
    await Promise.all([predict(), refresh()]);
  } catch (error) { show(String(error.message), true); }
}

async function refresh() {
  const stats = await call('GET', '/v1/codebook');
  const radius = stats.radius.median === null ? '–' : stats.radius.min.toFixed(3) + ' / ' + stats.radius.median.toFixed(3) + ' / ' + stats.radius.max.toFixed(3);
  $('stats').textContent = stats.keys + ' keys, ' + stats.edits + ' edits; radius min / median / max ' + radius + ' (eps_init ' + stats.epsInit + ')';
  const { edits } = await call('GET', '/v1/edits?limit=100');
  const rows = $('edits');
  rows.replaceChildren();
  for (const edit of edits) {
    const row = document.createElement('tr');
    for (const text of [edit.id, edit.time, JSON.stringify(edit.input), JSON.stringify(edit.label), edit.operation, edit.keyIndex]) {
      const cell = document.createElement('td');
      cell.textContent = visible(text);
      row.append(cell);
    }
    const button = document.createElement('button');
    button.textContent = 'roll back';
    button.dataset.editId = edit.id;
    button.addEventListener('click', () => rollback(edit.id));
    const cell = document.createElement('td');
    cell.append(button);
    row.append(cell);
    rows.append(row);
  }
}

async function start() {
  model = await call('GET', '/v1/model');
  $('model').textContent = 'Serving ' + model.name + ': ' + model.description + '.';
  $('input').value = model.inputSchema.type === 'string' ? String(model.exampleInputs[0]) : JSON.stringify(model.exampleInputs[0]);
  model.labels.forEach((label, index) => {
    const option = document.createElement('option');
    option.value = String(index);
    option.textContent = JSON.stringify(label);
    $('label').append(option);
  });
  $('predict').addEventListener('click', predict);
  $('correct').addEventListener('click', correct);
  $('input').addEventListener('keydown', (event) => { if (event.key === 'Enter') predict(); });
  // Edits and the codebook are read-protected: without a token the page shows predictions only.
  await refresh().catch((error) => show(String(error.message), true));
  $('token').addEventListener('change', () => refresh().catch((error) => show(String(error.message), true)));
  document.body.dataset.ready = 'true';
}
start().catch((error) => show(String(error.message), true));
`;
