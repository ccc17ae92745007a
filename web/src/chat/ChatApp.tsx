/**
 * The chat frame's page: start (or resume from sessionStorage), the offline
 * form when nobody is available, and the conversation over the socket. State
 * changes go through the pure store (store.ts) and are saved after each one,
 * so a reload or a dropped connection resumes without losing or repeating a
 * message. The identity token comes only from the embedding page at `host`
 * (host.ts) and is never stored: it is single-use and a bearer secret.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ChatSocket, type Link } from './connection.js';
import { ChatView, type Notice, type Verification } from './ChatView.js';
import { OfflineForm, StartForm } from './forms.js';
import { postToHost, readHostMessage, type FrameParams } from './host.js';
import { ChatProblem, portalCsrfToken, startConversation } from './http.js';
import { problemText } from './notices.js';
import { newClientId, type ServerFrame } from './protocol.js';
import { kindOf, redactOwnCopy, type RemovedKind } from './sensitive.js';
import { forgetChat, loadChat, saveChat, sessionStore, storageKey, type SavedChat } from './storage.js';
import { addPending, applyAck, applyMessage, applyReady, discardPending, emptyChat, failPending, markSent, toResend } from './store.js';
import { ct } from './text.js';

type Phase = { kind: 'start'; expired: boolean; error: string | null } | { kind: 'starting' } | { kind: 'offline'; name: string; email: string } | { kind: 'chat' };

/** Pending messages are resent this far apart after a reconnect: the socket allows 10 frames a second. */
const RESEND_SPACING_MS = 150;
/** After `rate_limited`, unacknowledged messages are tried again after this long. */
const RATE_RETRY_MS = 5000;
/** An agent's typing indicator lasts this long after their last typing frame. */
const TYPING_SHOWN_MS = 6000;

export function ChatApp({ params }: { params: FrameParams }) {
  const key = storageKey(params.orgId, params.host, params.portal);
  const [store] = useState(sessionStore);
  const [saved, setSaved] = useState<SavedChat | null>(() => loadChat(store, key));
  const [phase, setPhase] = useState<Phase>(() => (saved ? { kind: 'chat' } : { kind: 'start', expired: false, error: null }));
  const [link, setLink] = useState<Link>('connecting');
  const [notice, setNotice] = useState<Notice | null>(null);
  const [verification, setVerification] = useState<Verification | null>(null);
  /** "Verify my email" is open (with the address given on the start form, if any). */
  const [identify, setIdentify] = useState<{ email: string | null } | null>(null);
  const [agentTyping, setAgentTyping] = useState(false);
  const [focusRequest, setFocusRequest] = useState(0);
  const identityToken = useRef<string | null>(null);
  const savedRef = useRef(saved);
  savedRef.current = saved;
  const socketRef = useRef<ChatSocket | null>(null);
  const typingTimer = useRef<number | undefined>(undefined);
  const resendTimer = useRef<number | undefined>(undefined);
  const embedded = window.parent !== window;

  const update = useCallback((change: (s: SavedChat) => SavedChat) => {
    setSaved((s) => (s ? change(s) : s));
  }, []);

  useEffect(() => {
    if (saved) saveChat(store, key, saved);
  }, [store, key, saved]);

  // The embedding page: identity tokens and "the panel opened" from `host` only; tell it we are listening.
  useEffect(() => {
    if (!embedded) return;
    const onMessage = (event: MessageEvent) => {
      const message = readHostMessage(event, params.host, window.parent);
      if (message?.type === 'identity') identityToken.current = message.token;
      if (message?.type === 'open') setFocusRequest((n) => n + 1);
    };
    window.addEventListener('message', onMessage);
    postToHost(window, params.host, 'trustdesk-ready');
    return () => window.removeEventListener('message', onMessage);
  }, [embedded, params.host]);

  const close = useCallback(() => postToHost(window, params.host, 'trustdesk-close'), [params.host]);

  /** Sends every unacknowledged message again, spaced out; the server stores each clientId once. */
  const resendPending = useCallback(() => {
    window.clearTimeout(resendTimer.current);
    const queue = toResend(savedRef.current?.chat ?? emptyChat());
    const next = (i: number) => {
      const p = queue[i];
      const socket = socketRef.current;
      if (!p || !socket) return;
      if (!socket.send({ type: 'message', clientId: p.clientId, body: p.body })) return;
      update((s) => ({ ...s, chat: markSent(s.chat, [p.clientId]) }));
      resendTimer.current = window.setTimeout(() => next(i + 1), RESEND_SPACING_MS);
    };
    next(0);
  }, [update]);

  const showRemoval = useCallback((kinds: RemovedKind[], serverSide: boolean) => {
    setNotice({ tone: 'warning', removal: { kinds, serverSide } });
  }, []);

  const onFrame = useCallback(
    (frame: ServerFrame) => {
      switch (frame.type) {
        case 'ready':
          update((s) => ({ ...s, status: frame.status, agentName: frame.agent?.name ?? s.agentName, chat: frame.status === 'ended' ? failPending(applyReady(s.chat, frame.lastSeq)) : applyReady(s.chat, frame.lastSeq) }));
          if (frame.status !== 'ended') window.setTimeout(resendPending, 0);
          return;
        case 'message': {
          const { type: _t, ...message } = frame;
          update((s) => ({ ...s, chat: applyMessage(s.chat, message) }));
          if (frame.author === 'agent') setAgentTyping(false);
          return;
        }
        case 'ack': {
          const placeholder = ct('chat.sensitive.placeholder');
          update((s) => ({ ...s, chat: applyAck(s.chat, frame, (body, types) => redactOwnCopy(body, types, placeholder), new Date().toISOString()) }));
          if (frame.redacted.length > 0) showRemoval([...new Set(frame.redacted.map(kindOf))], true);
          return;
        }
        case 'status':
          update((s) => ({ ...s, status: frame.status, agentName: frame.agent?.name ?? (frame.status === 'waiting' ? null : s.agentName), chat: frame.status === 'ended' ? failPending(s.chat) : s.chat }));
          if (frame.status === 'ended') setVerification(null);
          return;
        case 'typing':
          setAgentTyping(true);
          window.clearTimeout(typingTimer.current);
          typingTimer.current = window.setTimeout(() => setAgentTyping(false), TYPING_SHOWN_MS);
          return;
        case 'verify':
          setVerification({ id: frame.verificationId, sentTo: frame.sentTo, result: null });
          return;
        case 'verify-result':
          setVerification((v) => (v ? { ...v, result: frame.status } : v));
          if (frame.status === 'verified') update((s) => ({ ...s, verified: true }));
          return;
        case 'error':
          if (frame.code === 'rate_limited') {
            window.clearTimeout(resendTimer.current);
            resendTimer.current = window.setTimeout(resendPending, RATE_RETRY_MS);
          }
          if (frame.code === 'ended') update((s) => ({ ...s, status: 'ended', chat: failPending(s.chat) }));
          setNotice({ tone: 'danger', text: problemText(frame.code, frame.detail) });
          return;
      }
    },
    [update, resendPending, showRemoval],
  );

  // An ended conversation needs no socket: nothing more can be sent, and the page offers a new chat.
  const token = saved && saved.status !== 'ended' ? saved.token : null;
  useEffect(() => {
    if (!token) return;
    const socket = new ChatSocket(token, () => savedRef.current?.chat.lastSeq ?? 0, {
      onFrame,
      onLink: setLink,
      onFlood: () => setNotice({ tone: 'danger', text: ct('chat.error.rateLimited') }),
      onStopped: () => {
        // 4401: the token expired or is no longer valid; this conversation cannot resume.
        forgetChat(store, key);
        setSaved(null);
        setVerification(null);
        setIdentify(null);
        setNotice(null);
        setPhase({ kind: 'start', expired: true, error: null });
      },
    });
    socketRef.current = socket;
    socket.start();
    return () => {
      socket.stop();
      if (socketRef.current === socket) socketRef.current = null;
      window.clearTimeout(resendTimer.current);
    };
  }, [token, store, key, onFrame]);

  useEffect(() => () => window.clearTimeout(typingTimer.current), []);

  const start = async (name: string, email: string) => {
    setPhase({ kind: 'starting' });
    try {
      const csrf = params.portal ? await portalCsrfToken() : null;
      const identity = identityToken.current;
      // A site identity token is accepted once: whatever the answer, it is not offered again.
      identityToken.current = null;
      const started = await startConversation({ orgId: params.orgId, host: params.host, portal: params.portal, ...(name ? { name } : {}), ...(identity ? { identityToken: identity } : {}) }, csrf);
      if (!started.available) {
        setPhase({ kind: 'offline', name, email });
        return;
      }
      setNotice(null);
      setIdentify(email && started.identity.kind === 'anonymous' ? { email } : null);
      setSaved({ conversationId: started.conversationId, token: started.token, expiresAt: started.expiresAt, identity: started.identity, status: 'waiting', agentName: null, verified: false, chat: emptyChat() });
      setPhase({ kind: 'chat' });
    } catch (error) {
      const text = error instanceof ChatProblem ? problemText(error.code, error.detail) : ct('chat.error.generic');
      setPhase({ kind: 'start', expired: false, error: text });
    }
  };

  const startAgain = () => {
    socketRef.current?.stop();
    forgetChat(store, key);
    setSaved(null);
    setNotice(null);
    setVerification(null);
    setIdentify(null);
    setPhase({ kind: 'start', expired: false, error: null });
  };

  const sendMessage = (body: string): void => {
    const clientId = newClientId();
    update((s) => ({ ...s, chat: addPending(s.chat, clientId, body) }));
    if (socketRef.current?.send({ type: 'message', clientId, body })) update((s) => ({ ...s, chat: markSent(s.chat, [clientId]) }));
  };

  const sendFrame = (frame: Parameters<ChatSocket['send']>[0]): boolean => {
    const sent = socketRef.current?.send(frame) ?? false;
    if (!sent) setNotice({ tone: 'danger', text: ct('chat.status.reconnecting') });
    return sent;
  };

  const header = (
    <header className="chat-header">
      <h1 className="chat-header__title">{ct('chat.title')}</h1>
      {embedded ? (
        <button type="button" className="chat-btn chat-btn--icon" onClick={close} aria-label={ct('chat.close')}>
          <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path d="M6 6l12 12M18 6L6 18" stroke="currentColor" strokeWidth="2" strokeLinecap="round" fill="none" />
          </svg>
        </button>
      ) : null}
    </header>
  );

  return (
    <div className="chat" onKeyDown={(e) => {
      if (e.key === 'Escape' && !e.defaultPrevented && embedded) {
        e.preventDefault();
        close();
      }
    }}>
      {header}
      <main className="chat-main">
        {phase.kind === 'start' || phase.kind === 'starting' ? (
          <StartForm busy={phase.kind === 'starting'} expired={phase.kind === 'start' && phase.expired} error={phase.kind === 'start' ? phase.error : null} askName={!params.portal} focusRequest={focusRequest} onStart={(name, email) => void start(name, email)} />
        ) : null}
        {phase.kind === 'offline' ? <OfflineForm orgId={params.orgId} host={params.host} initialName={phase.name} initialEmail={phase.email} /> : null}
        {phase.kind === 'chat' && saved ? (
          <ChatView
            saved={saved}
            link={link}
            agentTyping={agentTyping}
            notice={notice}
            verification={verification}
            focusRequest={focusRequest}
            onNotice={setNotice}
            onRemoval={(kinds) => showRemoval(kinds, false)}
            onSend={sendMessage}
            onTyping={() => socketRef.current?.send({ type: 'typing' })}
            onVerify={(code) => verification !== null && sendFrame({ type: 'verify', verificationId: verification.id, code })}
            onTranscript={() => sendFrame({ type: 'transcript' })}
            onEnd={() => sendFrame({ type: 'end' })}
            onDiscard={(clientId) => update((s) => ({ ...s, chat: discardPending(s.chat, clientId) }))}
            onStartAgain={startAgain}
            identify={identify}
            onIdentifyOpen={() => setIdentify({ email: null })}
            onIdentifyClose={() => {
              setIdentify(null);
              setFocusRequest((n) => n + 1);
            }}
            onIdentified={(identity) => {
              update((s) => ({ ...s, identity: { kind: 'email', name: identity.name } }));
              setIdentify(null);
              setNotice({ tone: 'info', text: ct('chat.identify.done') });
              setFocusRequest((n) => n + 1);
            }}
          />
        ) : null}
      </main>
    </div>
  );
}
