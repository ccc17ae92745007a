/** The sensitive-data types a macro warning may name (the DLP catalogue), for response schemas. */
export { SENSITIVE_TYPES as DLP_WARNING_TYPES } from '../dlp/index.js';
