/**
 * Who gets work (decision 0141): the organisation's "a reply assigns an unassigned ticket to the
 * replier" switch (on the routing page, channels.manage) and each team's strategy for new tickets
 * (on the teams page, teams.manage): manual, round robin or least busy.
 */
import { ASSIGNMENT_STRATEGIES, workEndpoints, type AssignmentStrategy } from '../../../src/platform/http/schemas/work.js';
import { call } from '../api.js';
import { t } from '../i18n/index.js';
import { SelectField } from '../ui/fields.js';
import { useResource, useSubmit } from '../ui/hooks.js';
import { ErrorNotice } from '../ui/notices.js';
import { Section } from '../ui/Page.js';
import { SettingSwitch } from './SettingSwitch.js';

export function AssignOnReplySection() {
  return (
    <Section title={t('admin.assignment.title')} id="assignment">
      <SettingSwitch label={t('admin.assignment.onReply')} hint={t('admin.assignment.onReplyHint')}
        load={async (signal) => (await call(workEndpoints.assignmentSettings, {}, { signal })).assignOnReply}
        save={(assignOnReply) => call(workEndpoints.setAssignmentSettings, { body: { assignOnReply } })} />
    </Section>
  );
}

/** The team strategies, loaded once for the teams table. */
export function useTeamStrategies(enabled: boolean) {
  return useResource((signal) => (enabled ? call(workEndpoints.teamStrategies, {}, { signal }) : Promise.resolve(null)), [enabled]);
}

export function TeamStrategySelect({ teamId, teamName, value, onChanged }: { teamId: string; teamName: string; value: AssignmentStrategy; onChanged: () => void }) {
  const save = useSubmit(async (strategy: AssignmentStrategy) => {
    await call(workEndpoints.setTeamStrategy, { params: { id: teamId }, body: { strategy } });
    onChanged();
  });
  return (
    <>
      <SelectField label={t('admin.assignment.strategyFor', { name: teamName })} value={value} disabled={save.busy} onChange={(e) => void save.run(e.target.value as AssignmentStrategy)}
        options={ASSIGNMENT_STRATEGIES.map((s) => ({ value: s, label: t(`admin.assignment.strategy.${s}`) }))} />
      <ErrorNotice error={save.error} />
    </>
  );
}
