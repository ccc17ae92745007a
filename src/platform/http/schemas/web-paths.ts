/**
 * Top-level paths the server answers with the web app's HTML shell (the
 * client router handles what follows). Every link the server mails or prints
 * starts with one of these. There is no catch-all: a path not listed here gets
 * the API's 404. Whoever adds a screen at a new top-level path adds it here.
 */
export const WEB_APP_PATHS = [
  '/signin',
  '/setup',
  '/reset-password',
  '/accept-invite',
  '/tickets',
  '/chats',
  '/customers',
  '/link',
  '/account',
  '/admin',
  '/security',
  '/access-reviews',
  '/quarantine',
  '/incidents',
  '/portal',
  '/knowledge',
  '/reports',
  '/training',
] as const;
