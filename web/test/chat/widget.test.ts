/**
 * The loader (web/public/chat/widget.js) run as a page would run it, in a
 * small stand-in DOM: the launcher it adds, the frame it opens and where, the
 * identity token handed over only to the Trustdesk frame, closing by Escape or
 * at the frame's request with focus back on the launcher, the full-screen
 * layout on a phone, and styles set only through element.style.
 */
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

const SOURCE = readFileSync(new URL('../../public/chat/widget.js', import.meta.url), 'utf8');
const ORG = '0b0e6a52-3c3f-4f4e-9a55-7d1c2b9f6e01';
const TRUSTDESK = 'https://help.example.com';
const PAGE = 'https://www.example.com';

type Listener = (event: Record<string, unknown>) => void;

class FakeElement {
  readonly attributes = new Map<string, string>();
  readonly children: FakeElement[] = [];
  readonly listeners = new Map<string, Listener[]>();
  readonly styles = new Map<string, string>();
  readonly style = {
    setProperty: (name: string, value: string) => void this.styles.set(name, value),
    removeProperty: (name: string) => void this.styles.delete(name),
  };
  id = '';
  title = '';
  src = '';
  type = '';
  textContent = '';
  readonly posted: Array<{ message: unknown; target: string }> = [];
  readonly contentWindow: { postMessage(message: unknown, target: string): void } | null;

  constructor(
    readonly tagName: string,
    private readonly doc: FakeDocument,
  ) {
    this.contentWindow = tagName === 'iframe' ? { postMessage: (message, target) => void this.posted.push({ message, target }) } : null;
  }

  setAttribute(name: string, value: string): void {
    if (name === 'style') throw new Error('style attributes are blocked by a strict CSP');
    this.attributes.set(name, value);
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  appendChild(child: FakeElement): void {
    this.children.push(child);
    this.doc.created.push(child);
  }
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  dispatch(type: string, event: Record<string, unknown> = {}): void {
    for (const l of this.listeners.get(type) ?? []) l(event);
  }
  focus(): void {
    const previous = this.doc.activeElement;
    this.doc.activeElement = this;
    if (previous && previous !== this) previous.dispatch('blur');
    this.dispatch('focus');
  }
  matches(selector: string): boolean {
    return selector === ':focus-visible';
  }
}

class FakeDocument extends FakeElement {
  activeElement: FakeElement | null = null;
  readonly created: FakeElement[] = [];
  readonly body: FakeElement;
  currentScript: FakeElement;

  constructor(org: string) {
    super('#document', undefined as unknown as FakeDocument);
    this.body = new FakeElement('body', this);
    this.currentScript = new FakeElement('script', this);
    this.currentScript.src = `${TRUSTDESK}/chat/widget.js`;
    this.currentScript.setAttribute('data-org', org);
  }
  createElement(tag: string): FakeElement {
    if (tag === 'style') throw new Error('a <style> element would be blocked by a strict CSP');
    return new FakeElement(tag, this);
  }
  createElementNS(_ns: string, tag: string): FakeElement {
    return new FakeElement(tag, this);
  }
  querySelector(): FakeElement | null {
    return this.currentScript;
  }
}

function load(options: { org?: string; narrow?: boolean; identityToken?: string } = {}) {
  const document = new FakeDocument(options.org ?? ORG);
  const windowListeners: Listener[] = [];
  const media = { matches: options.narrow ?? false, addEventListener: () => undefined };
  const sandbox: Record<string, unknown> = {
    document,
    location: { origin: PAGE, href: `${PAGE}/shop` },
    URL,
    console: { warn: () => undefined },
    matchMedia: () => media,
    addEventListener: (type: string, l: Listener) => {
      if (type === 'message') windowListeners.push(l);
    },
    ...(options.identityToken ? { TrustdeskChat: { identityToken: options.identityToken } } : {}),
  };
  sandbox.window = sandbox;
  vm.runInNewContext(SOURCE, sandbox);
  const launcher = document.body.children.find((c) => c.tagName === 'button');
  const frame = () => document.body.children.find((c) => c.tagName === 'iframe');
  const fromFrame = (data: unknown, origin = TRUSTDESK, source: unknown = frame()?.contentWindow) => {
    for (const l of windowListeners) l({ origin, source, data });
  };
  return { document, launcher, frame, fromFrame, api: sandbox.TrustdeskChat as { identify(token: string): void } };
}

describe('chat loader', () => {
  it('adds a labelled launcher and no frame until it is used', () => {
    const { launcher, frame } = load();
    expect(launcher?.getAttribute('aria-label')).toBe('Chat with us');
    expect(launcher?.getAttribute('aria-expanded')).toBe('false');
    expect(launcher?.type).toBe('button');
    expect(frame()).toBeUndefined();
  });

  it('opens the Trustdesk frame for this organisation and page origin, sandboxed and titled, and focuses it', () => {
    const { launcher, frame, document } = load();
    launcher?.dispatch('click');
    const iframe = frame();
    expect(iframe?.src).toBe(`${TRUSTDESK}/chat/frame?org=${ORG}&host=${encodeURIComponent(PAGE)}`);
    expect(iframe?.getAttribute('sandbox')).toBe('allow-scripts allow-same-origin allow-forms allow-popups');
    expect(iframe?.title).not.toBe('');
    expect(launcher?.getAttribute('aria-expanded')).toBe('true');
    expect(launcher?.getAttribute('aria-controls')).toBe(iframe?.id);
    expect(document.activeElement).toBe(iframe);
    expect(iframe?.styles.get('right')).toBe('16px');
    expect(iframe?.styles.get('width')).toBe('380px');
  });

  it('hands the identity token to the frame at Trustdesk origin only, once the frame itself says it is ready', () => {
    const { launcher, frame, fromFrame, api } = load({ identityToken: 'token-1' });
    launcher?.dispatch('click');
    const iframe = frame() as FakeElement;
    fromFrame({ type: 'trustdesk-ready' }, 'https://evil.example');
    fromFrame({ type: 'trustdesk-ready' }, TRUSTDESK, {});
    expect(iframe.posted).toEqual([]);
    fromFrame({ type: 'trustdesk-ready' });
    expect(iframe.posted).toContainEqual({ message: { type: 'trustdesk-identity', token: 'token-1' }, target: TRUSTDESK });
    api.identify('token-2');
    expect(iframe.posted).toContainEqual({ message: { type: 'trustdesk-identity', token: 'token-2' }, target: TRUSTDESK });
    expect(iframe.posted.every((p) => p.target === TRUSTDESK)).toBe(true);
  });

  it('closes at the frame request or on Escape and gives focus back to the launcher', () => {
    const { launcher, frame, fromFrame, document } = load();
    launcher?.dispatch('click');
    fromFrame({ type: 'trustdesk-close' }, 'https://evil.example');
    expect(launcher?.getAttribute('aria-expanded')).toBe('true');
    fromFrame({ type: 'trustdesk-close' });
    expect(launcher?.getAttribute('aria-expanded')).toBe('false');
    expect(frame()?.styles.get('display')).toBe('none');
    expect(document.activeElement).toBe(launcher);
    launcher?.dispatch('click');
    expect(frame()?.styles.get('display')).toBe('block');
    document.dispatch('keydown', { key: 'Escape' });
    expect(launcher?.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(launcher);
  });

  it('fills the screen on a phone and hides the launcher while open', () => {
    const { launcher, frame } = load({ narrow: true });
    launcher?.dispatch('click');
    expect(frame()?.styles.get('width')).toBe('100%');
    expect(frame()?.styles.get('height')).toBe('100%');
    expect(launcher?.styles.get('display')).toBe('none');
  });

  it('shows a focus ring for keyboard focus, set through element.style', () => {
    const { launcher } = load();
    launcher?.focus();
    expect(launcher?.styles.get('outline')).toMatch(/^3px solid/);
  });

  it('adds nothing without a valid organisation id', () => {
    const { launcher } = load({ org: 'not-an-id' });
    expect(launcher).toBeUndefined();
  });
});
