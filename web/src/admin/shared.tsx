/** Small pieces the administration screens share. */
import { Fragment, useState, type ReactNode } from 'react';
import { formatDateTime, t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { Dialog } from '../ui/Dialog.js';
import { useSubmit } from '../ui/hooks.js';
import { ErrorNotice } from '../ui/notices.js';

/** A date, or a dash. */
export function When({ value }: { value: string | null | undefined }) {
  if (!value) return <span>—</span>;
  return <time dateTime={value}>{formatDateTime(value)}</time>;
}

/**
 * A button that asks before it acts: the dialog says what will happen and
 * shows the server's refusal in words if there is one.
 */
export function ConfirmButton({ label, title, body, confirmLabel, onConfirm, variant = 'secondary', small = true }: {
  label: string;
  title: string;
  body: ReactNode;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  variant?: 'secondary' | 'danger' | 'ghost';
  small?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const submit = useSubmit(async () => {
    await onConfirm();
    return true as const;
  });
  return (
    <>
      <Button variant={variant} className={small ? 'btn--small' : undefined} onClick={() => { submit.reset(); setOpen(true); }}>{label}</Button>
      <Dialog
        open={open}
        title={title}
        onClose={() => setOpen(false)}
        footer={
          <>
            <Button onClick={() => setOpen(false)}>{t('action.cancel')}</Button>
            <Button variant="danger" busy={submit.busy} onClick={async () => {
              if (await submit.run()) setOpen(false);
            }}>{confirmLabel ?? t('action.confirm')}</Button>
          </>
        }
      >
        <div className="adm-stack">
          {body}
          <ErrorNotice error={submit.error} />
        </div>
      </Dialog>
    </>
  );
}

/** Checkbox list for choosing several of a few options (roles, teams, events). */
export function ChoiceList({ legend, options, value, onChange, error, hint }: {
  legend: string;
  options: Array<{ value: string; label: string; hint?: string }>;
  value: string[];
  onChange: (next: string[]) => void;
  error?: string | undefined;
  hint?: string;
}) {
  const name = legend.replace(/\W+/g, '-').toLowerCase();
  return (
    <fieldset className={error ? 'adm-choices field--invalid' : 'adm-choices'} aria-describedby={error ? `${name}-error` : undefined}>
      <legend className="field__label">{legend}</legend>
      {hint ? <p className="field__hint">{hint}</p> : null}
      {options.length === 0 ? <p className="field__hint">{t('admin.common.noOptions')}</p> : null}
      {options.map((o) => (
        <label key={o.value} className="adm-choice">
          <input
            type="checkbox"
            className="checkbox"
            checked={value.includes(o.value)}
            onChange={(e) => onChange(e.target.checked ? [...value, o.value] : value.filter((v) => v !== o.value))}
          />
          <span>{o.label}{o.hint ? <span className="adm-choice__hint"> — {o.hint}</span> : null}</span>
        </label>
      ))}
      {error ? <p id={`${name}-error`} className="field__error">{error}</p> : null}
    </fieldset>
  );
}

/** Lines of text ↔ a list (address allowlists, tags, words). */
export const linesToList = (text: string): string[] => text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);

/** A permission or scope name ("customers.reveal_field") that, when it must wrap, wraps only after a dot or underscore, never mid-word. */
export function PermissionName({ name }: { name: string }) {
  const parts = name.split(/(?<=[._])/);
  return (
    <code className="adm-code adm-perm-name">
      {parts.map((part, i) => (
        <Fragment key={i}>{part}{i < parts.length - 1 ? <wbr /> : null}</Fragment>
      ))}
    </code>
  );
}
