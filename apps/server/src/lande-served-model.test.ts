import { createCpuBackend } from '@grace/backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedModelFactories } from './served-models.js';
import { type RunningServer, startTestServer } from './test-support/server-fixture.js';

describe('serving lande (--model lande)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    const backend = createCpuBackend();
    const factory = servedModelFactories.lande;
    if (factory === undefined) throw new Error('no lande factory');
    server = await startTestServer({ backend, servedModel: await factory({ backend, seed: 7 }) });
  });
  afterAll(async () => {
    await server.stop(true);
  });

  it('predicts languages of texts, takes a correction to another language and rolls it back', async () => {
    const text = 'Tämä on suomea';
    const predict = async () =>
      (
        (await (await server.request('POST', '/v1/predict', { inputs: [text] })).json()) as {
          predictions: { label: string; fired: boolean }[];
        }
      ).predictions[0];
    expect(await predict()).toMatchObject({ label: 'fin', fired: false });
    const edited = await server.request('POST', '/v1/edits', { edits: [{ input: text, label: 'est' }] });
    expect(edited.status).toBe(200);
    const { edits } = (await edited.json()) as { edits: { id: string; fixed: boolean }[] };
    expect(edits[0]?.fixed).toBe(true);
    expect(await predict()).toMatchObject({ label: 'est', fired: true });
    expect((await server.request('DELETE', `/v1/edits/${edits[0]?.id}`)).status).toBe(200);
    expect(await predict()).toMatchObject({ label: 'fin', fired: false });
  });

  it('refuses labels outside its 50 languages and inputs that are not texts, naming the field', async () => {
    const unknown = await server.request('POST', '/v1/edits', { edits: [{ input: 'hello', label: 'xxx' }] });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ field: '/body/edits/0/label' });
    const notText = await server.request('POST', '/v1/predict', { inputs: [42] });
    expect(notText.status).toBe(400);
    expect(await notText.json()).toMatchObject({ field: '/body/inputs/0' });
    const tooLong = await server.request('POST', '/v1/predict', { inputs: ['a'.repeat(4001)] });
    expect(await tooLong.json()).toMatchObject({ field: '/body/inputs/0' });
    expect(server.service.codebook.size).toBe(0);
  });
});
