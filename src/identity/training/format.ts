/**
 * The training-module format (pure; docs/training.md, decision 0191). One Markdown file:
 *
 *   ---
 *   id: phishing-in-the-queue          lowercase words and dashes, 3–60 characters
 *   title: Recognising phishing …      up to 120 characters
 *   version: 1                         a whole number; a changed module is a new version
 *   audience: all                      `all`, or role keys separated by commas (agent, supervisor, …)
 *   minutes: 5                         estimated reading time, 1–60
 *   pass_mark: 80                      percent of questions right to pass, 1–100
 *   max_attempts: 3                    1–10
 *   summary: One line for the list.    optional, up to 300 characters
 *   language: de                       optional (default en): a language version of the module of this id
 *                                      and version (decision 0224)
 *   ---
 *   The lesson, in Markdown (markdown.ts says which).
 *
 *   ## Quiz
 *
 *   ### The question?
 *   - [ ] a wrong choice
 *   - [x] a right choice (more than one [x] makes it "choose all that apply")
 *   > Why: the explanation shown after the attempt.
 *
 * Parsing is strict: an unknown front-matter key, a missing one, a question without an explanation or a
 * right answer, or anything past the size limits is an error naming the line, never a guess. The parsed
 * module keeps the lesson as sanitised HTML; the right answers stay in `quiz` and are removed by
 * `publicQuiz` before anything reaches a learner.
 */

export const MODULE_LIMITS = {
  sourceChars: 64_000,
  lessonChars: 40_000,
  lines: 2_000,
  titleChars: 120,
  summaryChars: 300,
  questions: 20,
  choicesMin: 2,
  choicesMax: 6,
  questionChars: 500,
  choiceChars: 300,
  explanationChars: 1_000,
} as const;

export const TRAINING_AUDIENCE_ROLES = ['agent', 'supervisor', 'administrator', 'security_officer', 'auditor'] as const;

export interface QuizQuestion {
  text: string;
  choices: string[];
  /** Indexes into `choices` of the right answers (sorted, at least one). */
  correct: number[];
  explanation: string;
}

export interface ParsedModule {
  key: string;
  title: string;
  version: number;
  /** Role keys; empty means everyone. */
  audience: string[];
  minutes: number;
  passMark: number;
  maxAttempts: number;
  summary: string;
  /** The language it is written in ("en" unless the front matter says otherwise). */
  language: string;
  /** The lesson as Markdown (what follows the front matter, up to the quiz). */
  lesson: string;
  quiz: QuizQuestion[];
}

export class ModuleFormatError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Not a valid training module: ${problems.slice(0, 5).join('; ')}`);
    this.name = 'ModuleFormatError';
    this.problems = problems.slice(0, 20);
  }
}

const KEYS = new Set(['id', 'title', 'version', 'audience', 'minutes', 'pass_mark', 'max_attempts', 'summary', 'language']);

/** The language modules are written in unless they say otherwise. */
export const DEFAULT_MODULE_LANGUAGE = 'en';
/** BCP 47-like, as simulations' language setting: "de", "pt-BR". */
export const MODULE_LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/;

function wholeNumber(value: string | undefined, min: number, max: number): number | null {
  if (value === undefined || !/^\d{1,6}$/.test(value)) return null;
  const n = Number(value);
  return n >= min && n <= max ? n : null;
}

/** Parses and validates a module's source; throws ModuleFormatError listing every problem found. */
export function parseModule(source: string): ParsedModule {
  if (source.length > MODULE_LIMITS.sourceChars) throw new ModuleFormatError([`the module is longer than ${MODULE_LIMITS.sourceChars} characters`]);
  const lines = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  if (lines.length > MODULE_LIMITS.lines) throw new ModuleFormatError([`the module has more than ${MODULE_LIMITS.lines} lines`]);
  if (/[\u0000\u202A-\u202E\u2066-\u2069]/.test(source)) throw new ModuleFormatError(['the module holds control or bidirectional-override characters']);
  const problems: string[] = [];

  // ---- front matter
  if (lines[0]?.trim() !== '---') throw new ModuleFormatError(['line 1: the module must start with a front-matter block opened by ---']);
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  if (end < 0) throw new ModuleFormatError(['the front-matter block is never closed by ---']);
  const meta = new Map<string, string>();
  for (let i = 1; i < end; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const m = /^([a-z_]+):\s*(.*?)\s*$/.exec(line);
    if (!m) {
      problems.push(`line ${i + 1}: expected "key: value"`);
      continue;
    }
    const [, key, value] = m as unknown as [string, string, string];
    if (!KEYS.has(key)) problems.push(`line ${i + 1}: unknown key "${key.slice(0, 40)}"`);
    else if (meta.has(key)) problems.push(`line ${i + 1}: "${key}" is given twice`);
    else meta.set(key, value);
  }
  const key = meta.get('id') ?? '';
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(key) || key.length < 3 || key.length > 60) problems.push('id: lowercase letters, digits and single dashes, 3–60 characters');
  const title = meta.get('title') ?? '';
  if (!title || title.length > MODULE_LIMITS.titleChars) problems.push(`title: required, at most ${MODULE_LIMITS.titleChars} characters`);
  const summary = meta.get('summary') ?? '';
  if (summary.length > MODULE_LIMITS.summaryChars) problems.push(`summary: at most ${MODULE_LIMITS.summaryChars} characters`);
  const language = meta.get('language') ?? DEFAULT_MODULE_LANGUAGE;
  if (!MODULE_LANGUAGE.test(language) || language.length > 35) problems.push('language: a language tag such as "de" or "pt-BR"');
  const version = wholeNumber(meta.get('version'), 1, 100_000);
  if (version === null) problems.push('version: a whole number from 1');
  const minutes = wholeNumber(meta.get('minutes'), 1, 60);
  if (minutes === null) problems.push('minutes: a whole number from 1 to 60');
  const passMark = wholeNumber(meta.get('pass_mark'), 1, 100);
  if (passMark === null) problems.push('pass_mark: a percentage from 1 to 100');
  const maxAttempts = wholeNumber(meta.get('max_attempts'), 1, 10);
  if (maxAttempts === null) problems.push('max_attempts: a whole number from 1 to 10');
  const audienceText = (meta.get('audience') ?? '').trim();
  let audience: string[] = [];
  if (!audienceText) problems.push('audience: "all" or role keys separated by commas');
  else if (audienceText !== 'all') {
    audience = [...new Set(audienceText.split(',').map((s) => s.trim()))];
    for (const role of audience) if (!(TRAINING_AUDIENCE_ROLES as readonly string[]).includes(role)) problems.push(`audience: unknown role "${role.slice(0, 40)}"`);
    audience.sort();
  }

  // ---- lesson and quiz
  const body = lines.slice(end + 1);
  const quizAt = body.findIndex((l) => /^##\s+Quiz\s*$/.test(l));
  if (quizAt < 0) problems.push('the module has no "## Quiz" section');
  const lesson = (quizAt < 0 ? body : body.slice(0, quizAt)).join('\n').trim();
  if (!lesson) problems.push('the lesson is empty');
  if (lesson.length > MODULE_LIMITS.lessonChars) problems.push(`the lesson is longer than ${MODULE_LIMITS.lessonChars} characters`);

  const quiz: QuizQuestion[] = [];
  if (quizAt >= 0) {
    let q: (QuizQuestion & { line: number; explaining: boolean }) | null = null;
    const finish = () => {
      if (!q) return;
      const where = `question ${quiz.length + 1} (line ${q.line})`;
      if (q.choices.length < MODULE_LIMITS.choicesMin || q.choices.length > MODULE_LIMITS.choicesMax) problems.push(`${where}: ${MODULE_LIMITS.choicesMin}–${MODULE_LIMITS.choicesMax} choices`);
      if (q.correct.length === 0) problems.push(`${where}: mark at least one right choice with [x]`);
      if (!q.explanation) problems.push(`${where}: an explanation ("> …") is required`);
      if (q.explanation.length > MODULE_LIMITS.explanationChars) problems.push(`${where}: the explanation is longer than ${MODULE_LIMITS.explanationChars} characters`);
      if (new Set(q.choices).size !== q.choices.length) problems.push(`${where}: two choices are the same`);
      quiz.push({ text: q.text, choices: q.choices, correct: q.correct, explanation: q.explanation });
      q = null;
    };
    for (let i = quizAt + 1; i < body.length; i++) {
      const lineNo = end + 2 + i;
      const line = body[i]!.trimEnd();
      let m: RegExpExecArray | null;
      if (line.trim() === '') continue;
      if ((m = /^###\s+(.+)$/.exec(line))) {
        finish();
        const text = m[1]!.trim();
        if (text.length > MODULE_LIMITS.questionChars) problems.push(`line ${lineNo}: a question is longer than ${MODULE_LIMITS.questionChars} characters`);
        q = { text, choices: [], correct: [], explanation: '', line: lineNo, explaining: false };
      } else if (!q) {
        problems.push(`line ${lineNo}: the quiz holds only questions ("### …"), their choices and explanations`);
      } else if ((m = /^-\s+\[( |x|X)\]\s+(.+)$/.exec(line))) {
        if (q.explaining) problems.push(`line ${lineNo}: choices come before the explanation`);
        const text = m[2]!.trim();
        if (text.length > MODULE_LIMITS.choiceChars) problems.push(`line ${lineNo}: a choice is longer than ${MODULE_LIMITS.choiceChars} characters`);
        if (m[1] !== ' ') q.correct.push(q.choices.length);
        q.choices.push(text);
      } else if ((m = /^>\s?(.*)$/.exec(line))) {
        q.explaining = true;
        q.explanation = `${q.explanation} ${m[1]!.trim()}`.trim();
      } else {
        problems.push(`line ${lineNo}: expected a choice ("- [ ] …" or "- [x] …") or an explanation ("> …")`);
      }
      if (problems.length > 20) break;
    }
    finish();
    if (quiz.length === 0) problems.push('the quiz has no questions');
    if (quiz.length > MODULE_LIMITS.questions) problems.push(`the quiz has more than ${MODULE_LIMITS.questions} questions`);
  }

  if (problems.length > 0) throw new ModuleFormatError(problems);
  return { key, title, version: version!, audience, minutes: minutes!, passMark: passMark!, maxAttempts: maxAttempts!, summary, language, lesson, quiz };
}

/** The quiz as a learner sees it before answering: no right answers, no explanations. */
export function publicQuiz(quiz: readonly QuizQuestion[]): Array<{ text: string; choices: string[]; multiple: boolean }> {
  return quiz.map((q) => ({ text: q.text, choices: [...q.choices], multiple: q.correct.length > 1 }));
}

export interface GradedQuestion {
  correct: boolean;
  /** The right choices, shown after the attempt. */
  rightChoices: number[];
  chosen: number[];
  explanation: string;
}

export interface Grade {
  score: number;
  passed: boolean;
  questions: GradedQuestion[];
}

/**
 * Grades answers (per question, the chosen choice indexes): a question counts only when exactly its right
 * choices are chosen. Score is the percentage of questions right, rounded down; passed when it reaches the
 * pass mark. Throws when the answers do not fit the quiz (a missing question, an index out of range).
 */
export function gradeAttempt(quiz: readonly QuizQuestion[], passMark: number, answers: readonly (readonly number[])[]): Grade {
  if (answers.length !== quiz.length) throw new RangeError('answer every question');
  const questions = quiz.map((q, i) => {
    const chosen = [...new Set(answers[i]!)].sort((a, b) => a - b);
    for (const c of chosen) if (!Number.isInteger(c) || c < 0 || c >= q.choices.length) throw new RangeError(`question ${i + 1}: no such choice`);
    if (chosen.length === 0) throw new RangeError(`question ${i + 1}: choose an answer`);
    const correct = chosen.length === q.correct.length && chosen.every((c, j) => c === q.correct[j]);
    return { correct, rightChoices: [...q.correct], chosen, explanation: q.explanation };
  });
  const right = questions.filter((q) => q.correct).length;
  const score = Math.floor((right * 100) / quiz.length);
  return { score, passed: score >= passMark, questions };
}
