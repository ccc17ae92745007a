/**
 * The public request form (decision 0073): a signed fill-time token from the
 * server, and a honeypot field that people never see (moved off-screen by a
 * CSS class, hidden from assistive technology, out of the tab order) while a
 * bot that fills every input fills it too. A tripped check is answered like
 * success by the server, so this page cannot tell and does not try.
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { HONEYPOT_FIELD, portalEndpoints } from '../../../src/platform/http/schemas/portal.js';
import { ApiError, validate } from '../api.js';
import { t } from '../i18n/index.js';
import { OrgMissing } from './OrgMissing.js';
import { Button } from '../ui/Button.js';
import { FieldRow, TextAreaField, TextField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Loading, Notice } from '../ui/notices.js';
import { Page } from '../ui/Page.js';
import { ArticleSuggestions } from './HelpPages.js';
import { portalCall, usePortal } from './session.js';

const EMPTY = { name: '', email: '', subject: '', body: '', [HONEYPOT_FIELD]: '' };

export function RequestPage() {
  const { org, orgError, state } = usePortal();
  const [values, setValues] = useState(EMPTY);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [expired, setExpired] = useState(false);
  const form = useResource(async () => {
    if (!org) return null;
    const issued = await portalCall(portalEndpoints.requestForm, { query: { organizationId: org.id } });
    return { ...issued, receivedAt: Date.now() };
  }, [org?.id, sentTo]);

  const set = (field: keyof typeof EMPTY) => (e: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [field]: e.target.value }));
    // A corrected field stops showing its old error; the next send checks again.
    setFieldErrors(({ [field]: _fixed, ...rest }) => rest);
  };

  const submit = useSubmit(async (e: FormEvent) => {
    e.preventDefault();
    if (!org || !form.data) return;
    setExpired(false);
    const honeypot = values[HONEYPOT_FIELD];
    const body = {
      organizationId: org.id,
      name: values.name.trim(),
      email: values.email.trim(),
      subject: values.subject.trim(),
      body: values.body.trim(),
      formToken: form.data.formToken,
      ...(honeypot ? { [HONEYPOT_FIELD]: honeypot } : {}),
    };
    const errors = validate(portalEndpoints.submitRequest.body, body);
    // An empty field is "required", not "at least 1 character".
    for (const field of ['name', 'email', 'subject', 'body'] as const) if (!body[field]) errors[field] = t('validation.required');
    setFieldErrors(errors);
    if (Object.keys(errors).length) return;
    // The server silently drops a form sent faster than a person fills one in (a bot signal);
    // someone who pastes quickly waits out the remainder here instead of losing the request.
    const early = form.data.minFillSeconds * 1000 + 250 - (Date.now() - form.data.receivedAt);
    if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
    try {
      await portalCall(portalEndpoints.submitRequest, { body });
    } catch (err) {
      // A stale form (an old tab) is answered 400 with no field: take a fresh token and ask to send again.
      if (err instanceof ApiError && err.code === 'validation_failed' && Object.keys(err.fieldErrors).length === 0) {
        setExpired(true);
        form.reload();
        return;
      }
      throw err;
    }
    setSentTo(body.email);
    setValues(EMPTY);
  });

  if (sentTo) {
    return (
      <Page title={t('portal.request.sentTitle')}>
        <div className="portal-card">
          <Notice tone="success">{t('portal.request.sent', { email: sentTo })}</Notice>
          <div className="form__actions">
            <Button onClick={() => setSentTo(null)}>{t('portal.request.another')}</Button>
            <Link href={state.status === 'signed-in' ? '/portal' : '/portal/signin'} className="btn btn--ghost">{t('portal.request.follow')}</Link>
          </div>
        </div>
      </Page>
    );
  }

  const err = (field: string) => fieldErrors[field] ?? submit.fieldErrors[field];
  const loadingForm = (!org && !orgError && state.status !== 'signed-in') || form.loading;

  return (
    <Page title={t('portal.request.title')}>
      <div className="portal-card portal-card--wide">
        {orgError && !org ? <OrgMissing error={orgError} /> : null}
        {loadingForm && !form.data ? <Loading /> : null}
        <ErrorNotice error={form.error} onRetry={form.reload} />
        {form.data ? (
          <form className="form form--wide" onSubmit={(e) => void submit.run(e)} noValidate>
            <p>{t('portal.request.intro')}</p>
            {expired ? <Notice tone="warning">{t('portal.request.expired')}</Notice> : null}
            <FieldRow>
              <TextField label={t('portal.request.name')} name="name" autoComplete="name" required maxLength={200} value={values.name} onChange={set('name')} error={err('name')} />
              <TextField label={t('portal.request.email')} name="email" type="email" autoComplete="email" required maxLength={254} value={values.email} onChange={set('email')} error={err('email')} />
            </FieldRow>
            <TextField label={t('portal.request.subject')} name="subject" required maxLength={300} value={values.subject} onChange={set('subject')} error={err('subject')} />
            <ArticleSuggestions subject={values.subject} />
            <TextAreaField label={t('portal.request.body')} hint={t('portal.request.bodyHint')} name="body" rows={8} required value={values.body} onChange={set('body')} error={err('body')} />
            <div className="portal-hp" aria-hidden="true">
              <label htmlFor="portal-request-hp">{t('portal.request.honeypot')}</label>
              <input id="portal-request-hp" name={HONEYPOT_FIELD} type="text" tabIndex={-1} autoComplete="off" value={values[HONEYPOT_FIELD]} onChange={set(HONEYPOT_FIELD)} />
            </div>
            <ErrorNotice error={submit.error instanceof ApiError && submit.error.code === 'validation_failed' && Object.keys(submit.error.fieldErrors).length ? null : submit.error} />
            <div className="form__actions">
              <Button type="submit" variant="primary" busy={submit.busy}>{t('portal.request.send')}</Button>
            </div>
          </form>
        ) : null}
      </div>
    </Page>
  );
}
