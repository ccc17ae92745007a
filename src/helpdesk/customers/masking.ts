/**
 * Masked presentations of customer fields (pure). A masked value shows just
 * enough to tell records apart (`j•••@example.com`, `•••• 1234`) and nothing an
 * attacker could use; the full value needs a reveal with a reason.
 */

const DOT = '•';

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return `${DOT}${DOT}${DOT}`;
  const local = email.slice(0, at);
  const first = Array.from(local)[0] ?? '';
  return `${first}${DOT}${DOT}${DOT}${email.slice(at)}`;
}

export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^0-9]/g, '');
  if (digits.length < 7) return `${DOT}${DOT}${DOT}${DOT}`;
  return `${DOT}${DOT}${DOT}${DOT} ${digits.slice(-4)}`;
}

export function maskName(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '';
  return words.map((w) => `${Array.from(w)[0] ?? ''}${DOT}${DOT}${DOT}`).join(' ');
}

/** Free text (address, notes): only that something is there. */
export function maskText(text: string): string {
  return text.trim() ? `${DOT}${DOT}${DOT}` : '';
}
