/*
 * Trustdesk chat loader, added to an organisation's website with one tag:
 *   <script src="https://help.example.com/chat/widget.js" data-org="ORGANISATION-ID" async></script>
 * It adds a "Chat with us" button and, on the first click, the chat frame
 * served by Trustdesk (/chat/frame), which does everything else. What the
 * customer types stays inside the frame, out of reach of the page's scripts.
 * The page may say who the visitor is with a signed identity token
 * (window.TrustdeskChat.identityToken before this script, or
 * window.TrustdeskChat.identify(token) later); it is handed to the frame only,
 * at Trustdesk's origin, when the frame says it is ready.
 *
 * Plain ES2017, no dependencies, no build step. Styles are set through
 * element.style (CSSOM), which a strict style-src CSP on the page allows,
 * never as <style> text or style attributes in markup.
 */
(function () {
  'use strict';

  var script = document.currentScript || document.querySelector('script[src*="/chat/widget.js"][data-org]');
  if (!script || window.__trustdeskChatLoaded) return;
  window.__trustdeskChatLoaded = true;

  var orgId = script.getAttribute('data-org') || '';
  var origin;
  try {
    origin = new URL(script.src, location.href).origin;
  } catch (e) {
    return;
  }
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(orgId)) {
    if (window.console) console.warn('Trustdesk chat: data-org must be your organisation id.');
    return;
  }

  var label = script.getAttribute('data-label') || 'Chat with us';
  var frameTitle = script.getAttribute('data-title') || 'Chat with our support team';
  var api = window.TrustdeskChat || {};
  window.TrustdeskChat = api;
  var identityToken = typeof api.identityToken === 'string' ? api.identityToken : null;
  var frameReady = false;
  var open = false;
  var frame = null;
  var launcher = null;
  var narrow = window.matchMedia ? window.matchMedia('(max-width: 600px)') : null;
  var PRIMARY = '#1f4e8c';
  var FOCUS = '#c25400';
  var Z = '2147483000';

  function setStyles(element, styles) {
    for (var name in styles) if (Object.prototype.hasOwnProperty.call(styles, name)) element.style.setProperty(name, styles[name]);
  }

  function sendIdentity() {
    if (frame && frameReady && identityToken && frame.contentWindow) {
      frame.contentWindow.postMessage({ type: 'trustdesk-identity', token: identityToken }, origin);
    }
  }

  api.identify = function (token) {
    identityToken = typeof token === 'string' && token ? token : null;
    sendIdentity();
  };

  function layoutFrame() {
    if (!frame) return;
    if (narrow && narrow.matches) {
      setStyles(frame, { top: '0', left: '0', right: '0', bottom: '0', width: '100%', height: '100%', 'max-height': 'none', 'border-radius': '0', border: '0' });
    } else {
      setStyles(frame, {
        top: 'auto',
        left: 'auto',
        right: '16px',
        bottom: '88px',
        width: '380px',
        height: '600px',
        'max-height': 'calc(100vh - 104px)',
        'border-radius': '8px',
        border: '1px solid #d5dae1',
      });
    }
  }

  function layoutLauncher() {
    // On a phone the open chat fills the screen and has its own close button.
    launcher.style.setProperty('display', open && narrow && narrow.matches ? 'none' : 'inline-flex');
  }

  function createFrame() {
    frame = document.createElement('iframe');
    frame.id = 'trustdesk-chat-frame';
    frame.title = frameTitle;
    frame.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms allow-popups');
    frame.setAttribute('referrerpolicy', 'strict-origin');
    frame.src = origin + '/chat/frame?org=' + encodeURIComponent(orgId) + '&host=' + encodeURIComponent(location.origin);
    setStyles(frame, { position: 'fixed', 'z-index': Z, background: '#ffffff', 'box-shadow': '0 4px 24px rgba(16, 24, 40, 0.25)', 'color-scheme': 'light' });
    layoutFrame();
    document.body.appendChild(frame);
    launcher.setAttribute('aria-controls', frame.id);
  }

  function setOpen(value, returnFocus) {
    open = value;
    if (open && !frame) createFrame();
    if (frame) frame.style.setProperty('display', open ? 'block' : 'none');
    launcher.setAttribute('aria-expanded', open ? 'true' : 'false');
    layoutLauncher();
    if (open) {
      frame.focus();
      if (frameReady && frame.contentWindow) frame.contentWindow.postMessage({ type: 'trustdesk-open' }, origin);
    } else if (returnFocus) {
      launcher.focus();
    }
  }

  function onMessage(event) {
    if (!frame || event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || typeof data.type !== 'string') return;
    if (data.type === 'trustdesk-ready') {
      frameReady = true;
      sendIdentity();
      if (open) frame.contentWindow.postMessage({ type: 'trustdesk-open' }, origin);
    } else if (data.type === 'trustdesk-close') {
      setOpen(false, true);
    }
  }

  function createLauncher() {
    launcher = document.createElement('button');
    launcher.type = 'button';
    launcher.setAttribute('aria-label', label);
    launcher.setAttribute('aria-expanded', 'false');
    var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '24');
    svg.setAttribute('height', '24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', 'M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H9l-5 4v-4H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z');
    path.setAttribute('fill', 'currentColor');
    svg.appendChild(path);
    var text = document.createElement('span');
    text.textContent = label;
    launcher.appendChild(svg);
    launcher.appendChild(text);
    setStyles(launcher, {
      position: 'fixed',
      right: '16px',
      bottom: '16px',
      'z-index': Z,
      display: 'inline-flex',
      'align-items': 'center',
      gap: '8px',
      'min-height': '56px',
      padding: '0 20px',
      border: '2px solid #ffffff',
      'border-radius': '28px',
      background: PRIMARY,
      color: '#ffffff',
      font: '600 16px/1.2 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      cursor: 'pointer',
      'box-shadow': '0 2px 12px rgba(16, 24, 40, 0.3)',
    });
    launcher.addEventListener('click', function () {
      setOpen(!open, true);
    });
    // A visible focus ring on any page background, for keyboard focus only.
    launcher.addEventListener('focus', function () {
      var keyboard = true;
      try {
        keyboard = launcher.matches(':focus-visible');
      } catch (e) {
        // Browsers without :focus-visible show the ring on every focus.
      }
      if (keyboard) setStyles(launcher, { outline: '3px solid ' + FOCUS, 'outline-offset': '2px' });
    });
    launcher.addEventListener('blur', function () {
      launcher.style.removeProperty('outline');
      launcher.style.removeProperty('outline-offset');
    });
    document.body.appendChild(launcher);
  }

  function start() {
    createLauncher();
    window.addEventListener('message', onMessage);
    // Escape on the page (the frame sends its own Escape as trustdesk-close).
    document.addEventListener('keydown', function (event) {
      if (open && (event.key === 'Escape' || event.key === 'Esc')) setOpen(false, true);
    });
    if (narrow) {
      var relayout = function () {
        layoutFrame();
        layoutLauncher();
      };
      if (narrow.addEventListener) narrow.addEventListener('change', relayout);
      else if (narrow.addListener) narrow.addListener(relayout);
    }
  }

  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
