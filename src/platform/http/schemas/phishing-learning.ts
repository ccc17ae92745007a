/**
 * Contract of the learned-model routes (src/threats/phishing-learning/phishing-learning.routes.ts):
 * what an organisation's phishing model learned from its people's labels, and its reset.
 */
import { Type } from 'typebox';
import { Nullable, Timestamp, type Endpoint } from './common.js';

const PerClass = Type.Object({ phish: Type.Integer({ minimum: 0 }), ham: Type.Integer({ minimum: 0 }) });

export const PhishingLearningStatus = Type.Object({
  /** False when the stored model cannot be read (corrupt, another version): mail is scored without it until reset. */
  readable: Type.Boolean(),
  /** Labels the model holds, per class (phishing, legitimate). */
  labels: PerClass,
  /** Different people who gave them (approximate: counted in a 32-bit mask). */
  labellers: PerClass,
  tokens: Type.Integer({ minimum: 0 }),
  /** Enough labels of both kinds from at least two people each: the model adds to verdicts. */
  active: Type.Boolean(),
  /** At least half as many legitimate labels as phishing ones: only then may it speak for phishing. */
  balanced: Type.Boolean(),
  /** Labels recorded but not learned (a person over the daily cap, or an unreadable model). */
  refused: Type.Object({ today: Type.Integer({ minimum: 0 }), total: Type.Integer({ minimum: 0 }) }),
  /** The daily number of labels one person can teach. */
  dailyCap: Type.Integer(),
  updatedAt: Nullable(Timestamp),
  resetAt: Nullable(Timestamp),
  /** What the caller may do, so the web app hides what the server would refuse. */
  abilities: Type.Object({ reset: Type.Boolean() }),
});

export const PhishingLearningResetBody = Type.Object({ reason: Type.String({ minLength: 10, maxLength: 500 }) }, { additionalProperties: false });

export const phishingLearningEndpoints = {
  status: { method: 'GET', url: '/api/phishing-learning', response: PhishingLearningStatus },
  reset: { method: 'POST', url: '/api/phishing-learning/reset', body: PhishingLearningResetBody, response: PhishingLearningStatus },
} as const satisfies Record<string, Endpoint>;
