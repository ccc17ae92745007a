export { detectSensitiveData } from './detect.js';
export { DEFAULT_DLP_POLICY, actionFor, containsSensitiveData, maskCardNumber, redactFindings, redactSensitiveData } from './redact.js';
export type { RedactOptions } from './redact.js';
export { DEFAULT_PHONE_REGIONS } from './phone.js';
export { SENSITIVE_TYPES, CONTEXT_CATEGORIES } from './types.js';
export type {
  Action,
  ContextCategory,
  DetectOptions,
  DlpPolicy,
  Finding,
  RedactResult,
  Redaction,
  SensitiveType,
} from './types.js';
