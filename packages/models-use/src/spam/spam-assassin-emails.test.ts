import { describe, expect, it } from 'vitest';
import { loadSpamAssassinEmails, spamEmailText } from './spam-assassin-emails.js';

describe('SpamAssassin e-mails', () => {
  it('loads 6,046 labelled e-mails from two collection periods', () => {
    const emails = loadSpamAssassinEmails();
    expect(emails).toHaveLength(6046);
    const count = (period: string, label: string) =>
      emails.filter((email) => email.period === period && email.label === label).length;
    expect(count('early', 'ham')).toBe(2750);
    expect(count('early', 'spam')).toBe(500);
    expect(count('late', 'ham')).toBe(1400);
    expect(count('late', 'spam')).toBe(1396);
    expect(new Set(emails.map((email) => email.id)).size).toBe(emails.length);
  }, 60_000);

  it('reads the subject and a bounded, decoded start of the body', () => {
    const emails = loadSpamAssassinEmails();
    const texts = emails.map((email) => spamEmailText(email));
    expect(emails.filter((email) => email.subject.length > 0).length).toBeGreaterThan(6000);
    expect(Math.max(...texts.map((text) => text.length))).toBeLessThanOrEqual(1000);
    expect(texts.every((text) => text.split(' ').length <= 100 + 60)).toBe(true);
    // Markup, MIME part headers and base64 attachments are gone.
    expect(texts.filter((text) => /<\/?(html|body|div)\b|content-type:/i.test(text)).length).toBeLessThan(30);
    expect(texts.filter((text) => /[A-Za-z0-9+/]{60,}/.test(text)).length).toBeLessThan(60);
    expect(
      spamEmailText({ ...(emails[0] as (typeof emails)[number]), subject: 'Hi', body: 'one two three' }, 2),
    ).toBe('Hi. one two');
  }, 60_000);
});
