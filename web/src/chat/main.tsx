/**
 * Entry of the chat frame (web/chat.html, served at /chat/frame): reads its
 * parameters, refuses to run with missing or contradicted ones, and renders
 * the chat. No inline script or style, no third-party request: it runs under
 * the frame's strict CSP and loads only its own bundle from this origin.
 */
import './buffer-shim.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ChatApp } from './ChatApp.js';
import { parentOriginOf, readFrameParams } from './host.js';
import { ct } from './text.js';
import '../styles/tokens.css';
import '../styles/base.css';
import './chat.css';

const root = document.getElementById('root');
if (!root) throw new Error('No #root element');
const params = readFrameParams(window.location.search, window.location.origin, parentOriginOf(window));
document.title = ct('chat.title');
createRoot(root).render(
  <StrictMode>
    {params ? (
      <ChatApp params={params} />
    ) : (
      <main>
        <p className="chat-setup" role="alert">{ct('chat.error.setup')}</p>
      </main>
    )}
  </StrictMode>,
);
