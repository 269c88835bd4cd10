import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpamAssassinEmails, spamEmailText } from '../spam/spam-assassin-emails.js';
import { useLiteModelDirectory } from './use-lite-io-handler.js';
import { UseTokenizer, type UseVocabularyEntry } from './use-tokenizer.js';

/**
 * Ids recorded from the tokenizer this port replaced (`@tensorflow-models/universal-sentence-encoder@1.3.3`) on
 * every 15th SpamAssassin e-mail (404 e-mails, 75,242 tokens; a digest per e-mail) and on a few texts chosen for
 * Unicode corners (ids in full).
 */
interface RecordedIds {
  readonly emails: readonly { readonly id: string; readonly tokens: number; readonly digest: string }[];
  readonly texts: readonly { readonly text: string; readonly ids: readonly number[] }[];
}

const digest = (ids: readonly number[]) =>
  createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 16);

async function loadTokenizer(): Promise<UseTokenizer> {
  const vocabulary = JSON.parse(await readFile(join(useLiteModelDirectory(), 'vocab.json'), 'utf8'));
  return new UseTokenizer(vocabulary as UseVocabularyEntry[]);
}

describe('UseTokenizer', () => {
  it('gives the ids the original USE tokenizer gave on hundreds of real e-mails and Unicode corners', async () => {
    const recorded = JSON.parse(
      await readFile(new URL('./fixtures/use-token-ids.json', import.meta.url), 'utf8'),
    ) as RecordedIds;
    const tokenizer = await loadTokenizer();
    const emails = new Map(loadSpamAssassinEmails().map((email) => [email.id, email]));
    expect(recorded.emails).toHaveLength(404);
    for (const record of recorded.emails) {
      const email = emails.get(record.id);
      expect(email, record.id).toBeDefined();
      const ids = tokenizer.encode(spamEmailText(email as NonNullable<typeof email>));
      expect({ id: record.id, tokens: ids.length, digest: digest(ids) }).toEqual(record);
    }
    for (const { text, ids } of recorded.texts) expect(tokenizer.encode(text), text).toEqual(ids);
  }, 60_000);

  it('splits into vocabulary pieces at word boundaries and merges runs of unknown characters', async () => {
    const tokenizer = await loadTokenizer();
    const ids = tokenizer.encode('hello world');
    expect(ids.length).toBeGreaterThan(1);
    expect(ids.every((id) => id >= 6)).toBe(true);
    // Three characters no piece starts with become one unknown id (0), as in SentencePiece.
    const unknown = tokenizer.encode('\u{1F680}\u{1F680}\u{1F680}');
    expect(unknown.filter((id) => id === 0)).toHaveLength(1);
    expect(tokenizer.encode('')).toEqual([]);
  });

  it('refuses a vocabulary that is not a list of [piece, score] pairs', () => {
    expect(() => new UseTokenizer([])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const broken = [...Array.from({ length: 7 }, (_, index) => [`p${index}`, -1] as const), [3, 1]];
    expect(() => new UseTokenizer(broken as unknown as UseVocabularyEntry[])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
