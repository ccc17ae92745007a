export { DEFAULT_LIMITS, LearnedModel, MODEL_FORMAT, MODEL_VERSION, ModelFormatError, labellerBit } from './model.js';
export type { Clue, Label, LearningLimits, LearnResult, Prediction, Status } from './model.js';
export { learnedEffect, PHISH_AT, STRONG_REASON } from './explain.js';
export type { LearnedEffect } from './explain.js';
export type { LearnedContext } from '../types.js';
export { describeToken, learningTokens, MAX_TOKENS_PER_MESSAGE } from './tokens.js';
