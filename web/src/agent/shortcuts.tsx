/**
 * Keyboard shortcuts of the agent console, and the `?` overlay that lists them (decision 0151).
 *
 * One keydown listener for the whole area. A key is handled by, in order: a handler a component registered with
 * `useShortcut` (the composer's r/n, the list's j/k), else the first visible element carrying
 * `data-shortcut="<key>"` — a button, link, checkbox or radio is clicked, a field is focused. So any screen can
 * offer a shortcut by marking an element, with no code here. A shortcut whose element lives on the ticket list
 * (`/`) takes the agent there and fires once it appears. Nothing fires while typing in a field or the editor,
 * with a modifier held (browser and editor shortcuts keep working), or while a dialog is open; Esc there leaves
 * the field so the next key is a shortcut again.
 */
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { useLocation } from 'wouter';
import { t } from '../i18n/index.js';
import { Dialog } from '../ui/Dialog.js';

/** Every shortcut, in the order the overlay lists them; the text is `agent.shortcut.<name>`. */
export const SHORTCUTS = [
  { key: 'j', name: 'next' },
  { key: 'k', name: 'previous' },
  { key: 'r', name: 'reply' },
  { key: 'n', name: 'note' },
  { key: 'a', name: 'assign' },
  { key: 's', name: 'status' },
  { key: 'm', name: 'macro' },
  { key: 'c', name: 'acceptChat' },
  { key: '/', name: 'search' },
  { key: '?', name: 'help' },
  { key: 'Escape', name: 'escape' },
] as const;

type Handler = () => boolean | void;
const Registry = createContext<Map<string, Handler[]> | null>(null);

/** While mounted, `key` runs `handler` (return false to let the next handler or a data-shortcut element have it). */
export function useShortcut(key: string, handler: Handler): void {
  const registry = useContext(Registry);
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!registry) return;
    const run: Handler = () => ref.current();
    registry.set(key, [run, ...(registry.get(key) ?? [])]);
    return () => {
      registry.set(key, (registry.get(key) ?? []).filter((h) => h !== run));
    };
  }, [registry, key]);
}

/** Whether keys typed now are text for a field (no shortcut may fire). */
export function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'range', 'color'].includes(target.type);
  return false;
}

function visible(el: HTMLElement): boolean {
  return el.getClientRects().length > 0 && !el.closest('[hidden], [inert]');
}

/** Clicks or focuses the first visible element marked for `key`; false when there is none. */
export function triggerMarked(key: string): boolean {
  const marked = Array.from(document.querySelectorAll<HTMLElement>(`[data-shortcut="${CSS.escape(key)}"]`)).filter(visible);
  const el = marked[0];
  if (!el || (el as HTMLButtonElement).disabled) return false;
  const clickable = el instanceof HTMLButtonElement || el instanceof HTMLAnchorElement || (el instanceof HTMLInputElement && ['checkbox', 'radio', 'button', 'submit'].includes(el.type));
  if (clickable) el.click();
  else el.focus();
  return true;
}

/** Shortcuts whose element is on the ticket list: pressed elsewhere, they open the list first. */
const ON_LIST = new Set(['/']);

export function ShortcutLayer({ children }: { children: ReactNode }) {
  const [registry] = useState(() => new Map<string, Handler[]>());
  const [help, setHelp] = useState(false);
  const [location, navigate] = useLocation();
  const pending = useRef<string | null>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
      if (document.querySelector('dialog[open]')) return;
      if (typingIn(e.target)) {
        // Esc leaves the field (the editor handles Esc itself too, so this runs even when it was "handled").
        if (e.key === 'Escape' && e.target instanceof HTMLElement && !(e.target instanceof HTMLSelectElement)) e.target.blur();
        return;
      }
      if (e.defaultPrevented) return;
      const key = e.key;
      if (key === '?') {
        e.preventDefault();
        setHelp(true);
        return;
      }
      if (!SHORTCUTS.some((s) => s.key === key) || key === 'Escape') return;
      for (const handler of registry.get(key) ?? []) {
        if (handler() !== false) {
          e.preventDefault();
          return;
        }
      }
      if (triggerMarked(key)) {
        e.preventDefault();
        return;
      }
      if (ON_LIST.has(key) && !location.startsWith('/tickets?') && location !== '/tickets') {
        e.preventDefault();
        pending.current = key;
        navigate('/tickets');
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [registry, location, navigate]);

  // A shortcut that needed another page fires once its element has rendered there (or is dropped after 3 s).
  useEffect(() => {
    const key = pending.current;
    if (!key) return;
    const started = Date.now();
    let frame = 0;
    const attempt = () => {
      if (pending.current !== key) return;
      if (triggerMarked(key) || Date.now() - started > 3000) pending.current = null;
      else frame = requestAnimationFrame(attempt);
    };
    frame = requestAnimationFrame(attempt);
    return () => cancelAnimationFrame(frame);
  }, [location]);

  return (
    <Registry.Provider value={registry}>
      {children}
      <Dialog open={help} title={t('agent.shortcut.title')} onClose={() => setHelp(false)}>
        <p>{t('agent.shortcut.intro')}</p>
        <dl className="shortcuts">
          {SHORTCUTS.map((s) => (
            <div key={s.key} className="shortcuts__row">
              <dt><kbd>{s.key === 'Escape' ? t('agent.shortcut.escKey') : s.key}</kbd></dt>
              <dd>{t(`agent.shortcut.${s.name}`)}</dd>
            </div>
          ))}
        </dl>
      </Dialog>
    </Registry.Provider>
  );
}

/** The ticket ids of the list the agent last looked at, in order, so j/k on a ticket page can step through them. */
const ORDER_KEY = 'td:ticket-order';
export function rememberTicketOrder(ids: readonly string[]): void {
  try {
    sessionStorage.setItem(ORDER_KEY, JSON.stringify(ids.slice(0, 500)));
  } catch {
    // Storage full or blocked: j/k on a ticket page then does nothing.
  }
}
export function neighbourTicket(id: string, step: 1 | -1): string | null {
  try {
    const ids = JSON.parse(sessionStorage.getItem(ORDER_KEY) ?? '[]') as unknown;
    if (!Array.isArray(ids)) return null;
    const at = ids.indexOf(id);
    const next = at === -1 ? null : ids[at + step];
    return typeof next === 'string' ? next : null;
  } catch {
    return null;
  }
}
