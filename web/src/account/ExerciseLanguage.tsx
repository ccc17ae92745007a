/**
 * The language of the security exercises (phishing simulations) a person is sent: their own choice, or the
 * organisation's. Only languages the organisation's templates are written in are offered; a template without
 * the chosen version sends its default one (docs/simulations.md).
 */
import { useState } from 'react';
import { simulationEndpoints } from '../../../src/platform/http/schemas/simulations.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { Button } from '../ui/Button.js';
import { SelectField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice, Notice } from '../ui/notices.js';

const FOLLOW = '';

/** "Deutsch (de)" where the browser knows the language's name, else the tag alone. */
function languageName(tag: string): string {
  try {
    const name = new Intl.DisplayNames([tag], { type: 'language' }).of(tag);
    return name && name !== tag ? `${name} (${tag})` : tag;
  } catch {
    return tag;
  }
}

export function ExerciseLanguage() {
  const current = useResource((signal) => call(simulationEndpoints.myLanguage, {}, { signal }), []);
  const [choice, setChoice] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const save = useSubmit((language: string | null) => call(simulationEndpoints.saveMyLanguage, { body: { language } }));
  if (!current.data) return <ErrorNotice error={current.error} />;
  const data = current.data;
  const value = choice ?? data.language ?? FOLLOW;
  const options = [
    { value: FOLLOW, label: t('account.language.follow', { language: languageName(data.organizationLanguage) }) },
    ...data.available.map((tag) => ({ value: tag, label: languageName(tag) })),
  ];
  return (
    <form
      className="form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        void save.run(value === FOLLOW ? null : value).then((r) => {
          if (!r) return;
          setSaved(true);
          setChoice(null);
          current.reload();
        });
      }}
    >
      <SelectField label={t('account.language.label')} hint={t('account.language.hint')} value={value} onChange={(e) => { setChoice(e.target.value); setSaved(false); }} options={options} error={save.fieldErrors.language} />
      <ErrorNotice error={save.error} />
      {saved ? <Notice tone="success" title={t('account.language.saved')} /> : null}
      <div className="form__actions">
        <Button type="submit" variant="primary" busy={save.busy}>{t('account.language.save')}</Button>
      </div>
    </form>
  );
}
