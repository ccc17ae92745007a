/**
 * The frame's text: only the chat area's messages (web/src/i18n/en/chat.ts),
 * not the whole app's, which would more than double what the frame loads.
 * The keys are registered with the rest in web/src/i18n/en/index.ts, so the
 * shared checks (well-formed keys and placeholders) cover them too.
 */
import messages from '../i18n/en/chat.js';

export type ChatKey = keyof typeof messages;

export function ct(key: ChatKey, params?: Record<string, string | number>): string {
  const template: string = messages[key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** "2.5 MB" for file sizes (as in the portal). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 102.4) / 10} KB`;
  return `${Math.round(bytes / 104_857.6) / 10} MB`;
}
