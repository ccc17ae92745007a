/** Public API of the phishing engine. */
export type { AnalysisContext, Analysis, AuthResults, AuthVerdict, HeaderMap, Lexicon, ParsedAddress, ParsedAttachment, ParsedMessage, Reason, StaffMember, Verdict } from './types.js';
export { analyzeMessage } from './engine.js';
export { listCandidates } from './signals/sender.js';
export type { AnalyzeOptions } from './engine.js';
export { parseRawMessage, toParsedMessage, DEFAULT_PARSE_LIMITS } from './parse.js';
export type { ParseLimits } from './parse.js';
export { authFromHeaders, checkAuthentication } from './auth.js';
export type { CheckAuthenticationOptions } from './auth.js';
export { DEFAULT_THRESHOLDS } from './score.js';
export type { VerdictThresholds } from './score.js';
export { extendLexicon, parseListText } from './lists.js';
