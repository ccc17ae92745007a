/**
 * All English text of the web app, one file per area, merged here. Keys are
 * flat and start with their area ('agent.reply.send'). Translating means adding
 * a sibling folder whose index has the same keys (type `Messages`).
 */
import account from './account.js';
import admin from './admin.js';
import agent from './agent.js';
import agentChat from './agent-chat.js';
import auth from './auth.js';
import common from './common.js';
import knowledge from './knowledge.js';
import notifications from './notifications.js';
import portal from './portal.js';
import reports from './reports.js';
import security from './security.js';
import brand from './brand.js';
import chat from './chat.js';
import training from './training.js';
import simulations from './simulations.js';
import awareness from './awareness.js';
import incidents from './incidents.js';
import siem from './siem.js';
import imap from './imap.js';
import insider from './insider.js';
import sso from './sso.js';
import scim from './scim.js';
import policies from './policies.js';
import devices from './devices.js';

export const en = { ...common, ...auth, ...account, ...agent, ...agentChat, ...admin, ...security, ...portal, ...notifications, ...knowledge, ...reports, ...brand, ...chat, ...training, ...simulations, ...awareness, ...incidents, ...siem, ...imap, ...insider, ...sso, ...scim, ...policies, ...devices } as const;

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;
