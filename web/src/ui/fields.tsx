/**
 * Form fields: each has a visible label, an optional hint, and an error wired
 * with aria-invalid and aria-describedby, so it is announced with the field.
 */
import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { t } from '../i18n/index.js';

interface FieldProps {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  optional?: boolean;
}

function describedBy(id: string, hint: ReactNode, error: string | undefined): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function Frame({ id, label, hint, error, optional, children }: FieldProps & { id: string; children: ReactNode }) {
  return (
    <div className={error ? 'field field--invalid' : 'field'}>
      <label className="field__label" htmlFor={id}>
        {label}
        {optional ? <span className="field__optional"> ({t('form.optional')})</span> : null}
      </label>
      {hint ? <p id={`${id}-hint`} className="field__hint">{hint}</p> : null}
      {children}
      {error ? <p id={`${id}-error`} className="field__error">{error}</p> : null}
    </div>
  );
}

export function TextField({ label, hint, error, optional, id: givenId, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const generated = useId();
  const id = givenId ?? generated;
  return (
    <Frame id={id} label={label} hint={hint} error={error} optional={optional}>
      <input id={id} className="input" aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} {...input} />
    </Frame>
  );
}

export function TextAreaField({ label, hint, error, optional, id: givenId, ...input }: FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const generated = useId();
  const id = givenId ?? generated;
  return (
    <Frame id={id} label={label} hint={hint} error={error} optional={optional}>
      <textarea id={id} className="input input--area" aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} {...input} />
    </Frame>
  );
}

export interface Option {
  value: string;
  label: string;
}

export function SelectField({ label, hint, error, optional, options, id: givenId, ...select }: FieldProps & SelectHTMLAttributes<HTMLSelectElement> & { options: Option[] }) {
  const generated = useId();
  const id = givenId ?? generated;
  return (
    <Frame id={id} label={label} hint={hint} error={error} optional={optional}>
      <select id={id} className="input input--select" aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} {...select}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>{o.label}</option>
        ))}
      </select>
    </Frame>
  );
}

export function CheckboxField({ label, hint, error, id: givenId, ...input }: Omit<FieldProps, 'optional'> & InputHTMLAttributes<HTMLInputElement>) {
  const generated = useId();
  const id = givenId ?? generated;
  return (
    <div className={error ? 'field field--check field--invalid' : 'field field--check'}>
      <input id={id} type="checkbox" className="checkbox" aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} {...input} />
      <label className="field__label" htmlFor={id}>{label}</label>
      {hint ? <p id={`${id}-hint`} className="field__hint">{hint}</p> : null}
      {error ? <p id={`${id}-error`} className="field__error">{error}</p> : null}
    </div>
  );
}

/** A row of fields side by side on wide screens, stacked on narrow ones. */
export function FieldRow({ children }: { children: ReactNode }) {
  return <div className="field-row">{children}</div>;
}
