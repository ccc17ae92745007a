/**
 * The first steps of every portal page reached from an emailed link (a secure message, a data export): the token
 * leaves the address bar the moment the page starts and is held in memory only; the page asks whether the link is
 * still usable (a spent link offers no "Send me a code"); nothing happens on load, the customer asks for a code (a
 * POST, so link scanners cannot spend the link's codes) and types it. What the code then opens is the page's own.
 */
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'wouter';
import { ApiError } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { TextField } from '../ui/fields.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';

/** The link's steps before the page's own (`Done`): checking it, offering a code, the code sent, or a dead link. */
export type LinkStep<Done> = { kind: 'checking' } | { kind: 'start' } | { kind: 'code'; challengeId: string } | { kind: 'dead' } | Done;

/**
 * Each page's link token, held in memory only (kept here too because React may run a state initialiser twice),
 * by page: one page's link is never taken for another's.
 */
const heldTokens = new Map<string, string>();

function takeLinkToken(): string | null {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token !== null) {
    heldTokens.set(url.pathname, token);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }
  return heldTokens.get(url.pathname) ?? null;
}

/** A used or dead link is of no further use: forget this page's. */
export function forgetLinkToken(): void {
  heldTokens.delete(window.location.pathname);
}

export interface LinkCalls {
  check(token: string): Promise<{ state: 'usable' | 'spent' }>;
  open(token: string): Promise<{ challengeId: string }>;
}

/** The link's state and its "Send me a code"; `codeFieldId` is focused when the code is sent. */
export function useEmailedLink<Done extends { kind: string }>(calls: LinkCalls, codeFieldId: string) {
  const [token] = useState(takeLinkToken);
  const [step, setStep] = useState<LinkStep<Done>>(token ? { kind: 'checking' } : { kind: 'start' });
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | undefined>();
  const callsRef = useRef(calls);
  callsRef.current = calls;

  useEffect(() => {
    if (step.kind === 'code') document.getElementById(codeFieldId)?.focus();
  }, [step.kind, codeFieldId]);

  useEffect(() => {
    if (!token) return;
    let live = true;
    callsRef.current
      .check(token)
      .then((res) => live && setStep((s) => (s.kind === 'checking' ? (res.state === 'usable' ? { kind: 'start' } : { kind: 'dead' }) : s)))
      // Unknown (offline, rate-limited): offer the button; opening the link checks again.
      .catch(() => live && setStep((s) => (s.kind === 'checking' ? { kind: 'start' } : s)));
    return () => {
      live = false;
    };
  }, [token]);

  const open = useSubmit(async () => {
    if (!token) return;
    try {
      const res = await callsRef.current.open(token);
      setStep({ kind: 'code', challengeId: res.challengeId });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 410 || err.code === 'validation_failed')) setStep({ kind: 'dead' });
      else throw err;
    }
  });

  return { token, step, setStep, code, setCode, codeError, setCodeError, open };
}

export type EmailedLink<Done extends { kind: string }> = ReturnType<typeof useEmailedLink<Done>>;

/**
 * The card for the link's steps: dead or missing link, checking, "Send me a code", the code form (`submit`);
 * `children` once the page's own step is reached.
 */
export function EmailedLinkCard<Done extends { kind: string }>(props: {
  link: EmailedLink<Done>;
  deadText: string;
  introText: string;
  codeFieldId: string;
  submit: { label: string; busy: boolean; error: unknown; onSubmit: (e: FormEvent) => void };
  children?: ReactNode;
}) {
  const { link, submit } = props;
  const { token, step } = link;
  return (
    <div className="portal-card">
      {!token || step.kind === 'dead' ? (
        <>
          <Notice tone="warning">{token ? props.deadText : t('portal.secure.noToken')}</Notice>
          <p>
            <Link href="/portal/signin">{t('portal.nav.signIn')}</Link>
          </p>
        </>
      ) : step.kind === 'checking' ? (
        <Loading label={t('portal.secure.checking')} />
      ) : step.kind === 'start' ? (
        <div className="form">
          <p>{props.introText}</p>
          <ErrorNotice error={link.open.error} />
          <div className="form__actions">
            <Button variant="primary" busy={link.open.busy} onClick={() => void link.open.run()}>{t('portal.secure.send')}</Button>
          </div>
        </div>
      ) : step.kind === 'code' ? (
        <form className="form" onSubmit={submit.onSubmit} noValidate>
          <Notice tone="info">{t('portal.secure.codeSent')}</Notice>
          <TextField id={props.codeFieldId} label={t('portal.secure.code')} hint={t('portal.signin.codeHint')} name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={8} required value={link.code} onChange={(e) => link.setCode(e.target.value)} error={link.codeError} />
          <ErrorNotice error={submit.error} />
          <div className="form__actions">
            <Button type="submit" variant="primary" busy={submit.busy}>{submit.label}</Button>
          </div>
        </form>
      ) : (
        props.children
      )}
    </div>
  );
}
