/**
 * Contract of the training routes (src/identity/training/training.routes.ts; docs/training.md, decision 0191).
 * A learner's own routes (/api/training/me, an assignment, an attempt) need only a staff account: everything
 * is the caller's own, and another person's assignment is not found. Progress needs training.read (team
 * leads: their teams) or training.manage; modules, rules and manual assignment need training.manage. The
 * right answers appear only in an attempt's result once the assignment is closed, and in the managers' view
 * of a module.
 */
import { Type } from 'typebox';
import { IdParams, Literals, Nullable, Uuid, type Endpoint } from './common.js';

export const TRAINING_STATUSES = ['due', 'overdue', 'passed', 'failed'] as const;
export const TRAINING_SOURCE_MAX_CHARS = 64_000;

const ModuleKey = Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', minLength: 3, maxLength: 60 });

export const ModuleSummary = Type.Object({
  id: Uuid,
  key: Type.String(),
  version: Type.Integer(),
  title: Type.String(),
  summary: Type.String(),
  audience: Type.Array(Type.String()),
  minutes: Type.Integer(),
  passMark: Type.Integer(),
  maxAttempts: Type.Integer(),
  questions: Type.Integer(),
  shipped: Type.Boolean(),
  /** The language of this row (decision 0224), and every language its version is written in. */
  language: Type.String(),
  languages: Type.Array(Type.String()),
});

export const QuizQuestionView = Type.Object({ text: Type.String(), choices: Type.Array(Type.String()), multiple: Type.Boolean() });
export const QuizAnswerKey = Type.Object({ correct: Type.Array(Type.Integer()), explanation: Type.String() });

/** A manager's view of a module: the source as written, the lesson, and the quiz with its answers. */
export const ModuleDetail = Type.Intersect([ModuleSummary, Type.Object({
  source: Type.String(),
  lessonHtml: Type.String(),
  quiz: Type.Array(Type.Intersect([QuizQuestionView, QuizAnswerKey])),
})]);

export const AssignmentSummary = Type.Object({
  id: Uuid,
  module: ModuleSummary,
  status: Literals(TRAINING_STATUSES),
  dueAt: Type.String(),
  assignedAt: Type.String(),
  completedAt: Nullable(Type.String()),
  attemptsUsed: Type.Integer(),
  attemptsLeft: Type.Integer(),
  bestScore: Nullable(Type.Integer()),
  /** The language the person is shown it in: theirs when the module has that version, else the assigned one's. */
  language: Type.Optional(Type.String()),
});

export const GradedQuestionView = Type.Object({
  correct: Type.Boolean(),
  chosen: Type.Array(Type.Integer()),
  explanation: Type.String(),
  /** The right choices: only once the assignment is closed (passed, or no attempts left). */
  rightChoices: Nullable(Type.Array(Type.Integer())),
});
export const AttemptResult = Type.Object({
  attempt: Type.Integer(),
  score: Type.Integer(),
  passed: Type.Boolean(),
  at: Type.String(),
  questions: Type.Array(GradedQuestionView),
});

export const AssignmentDetail = Type.Intersect([AssignmentSummary, Type.Object({
  /** The language version shown (send it back with the answers: the quiz is graded against it). */
  moduleId: Uuid,
  lessonHtml: Type.String(),
  quiz: Type.Array(QuizQuestionView),
  lastAttempt: Nullable(AttemptResult),
})]);

export const AttemptBody = Type.Object({
  /** Per question, in order, the indexes of the chosen choices. */
  answers: Type.Array(Type.Array(Type.Integer({ minimum: 0, maximum: 9 }), { minItems: 1, maxItems: 10 }), { minItems: 1, maxItems: 20 }),
  /** The language version answered (the assignment's `moduleId`); absent: the one the person would be shown now. */
  moduleId: Type.Optional(Uuid),
}, { additionalProperties: false });
export const AttemptResponse = Type.Intersect([AttemptResult, Type.Object({ status: Literals(TRAINING_STATUSES), attemptsLeft: Type.Integer() })]);

export const TrainingRule = Type.Object({
  id: Uuid,
  moduleKey: Type.String(),
  moduleTitle: Nullable(Type.String()),
  roleKey: Nullable(Type.String()),
  teamId: Nullable(Uuid),
  teamName: Nullable(Type.String()),
  dueDays: Type.Integer(),
  everyMonths: Nullable(Type.Integer()),
  createdAt: Type.String(),
});
export const RuleBody = Type.Object({
  moduleKey: ModuleKey,
  /** A role key (built-in or custom); null: any role. */
  roleKey: Nullable(Type.String({ pattern: '^[a-z][a-z0-9_]{1,40}$' })),
  /** null: any team. */
  teamId: Nullable(Uuid),
  dueDays: Type.Integer({ minimum: 1, maximum: 365 }),
  /** Assign again this many months after the last completion; null: once. */
  everyMonths: Nullable(Type.Integer({ minimum: 1, maximum: 60 })),
}, { additionalProperties: false });
export const RuleCreated = Type.Intersect([TrainingRule, Type.Object({ assigned: Type.Integer() })]);

export const AssignBody = Type.Object({
  moduleKey: ModuleKey,
  userIds: Type.Array(Uuid, { minItems: 1, maxItems: 500, uniqueItems: true }),
  dueDays: Type.Integer({ minimum: 1, maximum: 365 }),
}, { additionalProperties: false });

export const ProgressRow = Type.Object({
  assignmentId: Uuid,
  userId: Uuid,
  userName: Type.String(),
  moduleKey: Type.String(),
  moduleTitle: Type.String(),
  version: Type.Integer(),
  status: Literals(TRAINING_STATUSES),
  dueAt: Type.String(),
  completedAt: Nullable(Type.String()),
  attemptsUsed: Type.Integer(),
  bestScore: Nullable(Type.Integer()),
});
export const ProgressQuery = Type.Object({
  status: Type.Optional(Literals(TRAINING_STATUSES)),
  moduleKey: Type.Optional(ModuleKey),
}, { additionalProperties: false });

export const trainingEndpoints = {
  /** Any staff member: their own assignments (rules are applied to them first). */
  mine: { method: 'GET', url: '/api/training/me', response: Type.Object({ items: Type.Array(AssignmentSummary) }) },
  /** Own only: the lesson and the quiz without its answers; the last attempt's result. */
  assignment: { method: 'GET', url: '/api/training/assignments/:id', params: IdParams, response: AssignmentDetail },
  /** Own only: answer the quiz; graded on the server (409 when passed or out of attempts). */
  attempt: { method: 'POST', url: '/api/training/assignments/:id/attempts', params: IdParams, body: AttemptBody, response: AttemptResponse, status: 201 },
  /** training.read (team or organisation) or training.manage: who has done what. */
  progress: { method: 'GET', url: '/api/training/progress', querystring: ProgressQuery, response: Type.Object({ items: Type.Array(ProgressRow), truncated: Type.Boolean() }) },
  /** training.manage: assign a module to people now. */
  assign: { method: 'POST', url: '/api/training/assignments', body: AssignBody, response: Type.Object({ assigned: Type.Integer(), alreadyOpen: Type.Integer() }), status: 201 },
  /** training.manage: the latest version of every module (shipped and the organisation's own). */
  modules: { method: 'GET', url: '/api/training/modules', response: Type.Object({ items: Type.Array(ModuleSummary) }) },
  /** training.manage: one module version with its source and answers. */
  module: { method: 'GET', url: '/api/training/modules/:id', params: IdParams, response: ModuleDetail },
  /** training.manage: add a module (or a new version of the organisation's own) in the documented format. */
  addModule: { method: 'POST', url: '/api/training/modules', body: Type.Object({ source: Type.String({ minLength: 1, maxLength: TRAINING_SOURCE_MAX_CHARS }) }, { additionalProperties: false }), response: ModuleSummary, status: 201 },
  /** training.manage. */
  rules: { method: 'GET', url: '/api/training/rules', response: Type.Object({ items: Type.Array(TrainingRule) }) },
  /** training.manage: add a rule; it assigns at once to everyone it matches. */
  addRule: { method: 'POST', url: '/api/training/rules', body: RuleBody, response: RuleCreated, status: 201 },
  /** training.manage: remove a rule (assignments made stay). */
  removeRule: { method: 'DELETE', url: '/api/training/rules/:id', params: IdParams, response: Type.Object({ ok: Type.Literal(true) }) },
} as const satisfies Record<string, Endpoint>;
