/** Attachment signals: executables, scripts, macro documents, HTML, disk images, archives. */
import { isZip, listZip } from '../zip.js';
import type { ParsedAttachment, Reason } from '../types.js';

const EXECUTABLE = new Set(['exe', 'scr', 'com', 'pif', 'msi', 'msp', 'msix', 'appx', 'dll', 'cpl', 'jar', 'lnk', 'apk', 'app', 'gadget', 'xll', 'scf', 'reg', 'inf', 'chm']);
const SCRIPT = new Set(['bat', 'cmd', 'vbs', 'vbe', 'js', 'jse', 'wsf', 'wsh', 'ws', 'hta', 'ps1', 'psm1', 'psd1', 'sct', 'mjs', 'py', 'sh', 'command', 'applescript', 'library-ms', 'settingcontent-ms']);
const MACRO = new Set(['docm', 'dotm', 'xlsm', 'xltm', 'xlam', 'pptm', 'potm', 'ppam', 'ppsm', 'sldm', 'xlsb']);
const HTML = new Set(['htm', 'html', 'shtml', 'xhtml', 'mht', 'mhtml', 'svg', 'shtm']);
const DISK_IMAGE = new Set(['iso', 'img', 'vhd', 'vhdx']);
const ARCHIVE = new Set(['zip', 'rar', '7z', 'gz', 'tgz', 'tar', 'cab', 'ace', 'arj', 'bz2', 'xz', 'z', 'lzh', 'zipx', 'r00', 'uue']);
/** Extensions a user expects to be harmless: the decoy part of "invoice.pdf.exe". */
const DECOY = new Set(['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'txt', 'rtf', 'jpg', 'jpeg', 'png', 'gif', 'csv', 'mp3', 'mp4', 'odt']);

export interface AttachmentLimits {
  maxAttachments: number;
  maxArchiveEntries: number;
  /** Bytes of an HTML attachment scanned for forms. */
  maxHtmlScan: number;
  /** Declared uncompressed bytes above which an archive is treated as a bomb. */
  bombBytes: number;
}

export const DEFAULT_ATTACHMENT_LIMITS: AttachmentLimits = {
  maxAttachments: 50,
  maxArchiveEntries: 1000,
  maxHtmlScan: 512 * 1024,
  bombBytes: 1024 * 1024 * 1024,
};

export function extensionOf(name: string): string {
  const base = name.toLowerCase().replace(/[\s.\u0000-\u001f]+$/, '');
  const dot = base.lastIndexOf('.');
  return dot >= 0 ? base.slice(dot + 1) : '';
}

function previousExtension(name: string): string {
  const base = name.toLowerCase().trim();
  const last = base.lastIndexOf('.');
  return last > 0 ? extensionOf(base.slice(0, last)) : '';
}

interface Kind {
  code: string;
  weight: number;
  what: string;
}

/** What a file name alone says; null when nothing. */
export function classifyFileName(name: string): Kind | null {
  const ext = extensionOf(name);
  if (EXECUTABLE.has(ext)) return { code: 'executable', weight: 0.7, what: 'a program' };
  if (SCRIPT.has(ext)) return { code: 'script', weight: 0.7, what: 'a script' };
  if (ext === 'url' || ext === 'website') return { code: 'shortcut', weight: 0.45, what: 'an internet shortcut' };
  if (DISK_IMAGE.has(ext)) return { code: 'disk_image', weight: 0.5, what: 'a disk image' };
  if (MACRO.has(ext)) return { code: 'macro_document', weight: 0.45, what: 'a macro-enabled document' };
  if (HTML.has(ext)) return { code: 'html', weight: 0.35, what: 'a web page' };
  return null;
}

function doubleExtension(name: string): boolean {
  const ext = extensionOf(name);
  const prev = previousExtension(name);
  if (name.includes('\u202e')) return true; // right-to-left override hides the real extension
  return DECOY.has(prev) && (EXECUTABLE.has(ext) || SCRIPT.has(ext) || HTML.has(ext) || DISK_IMAGE.has(ext));
}

function scanHtml(content: Buffer, limits: AttachmentLimits): Reason[] {
  const html = content.subarray(0, limits.maxHtmlScan).toString('utf8').toLowerCase();
  const reasons: Reason[] = [];
  if (html.includes('type="password"') || html.includes("type='password'") || html.includes('type=password')) {
    reasons.push({ code: 'attachment.html_password_form', weight: 0.6, evidence: 'the attached web page asks for a password' });
  } else if (html.includes('<form')) {
    reasons.push({ code: 'attachment.html_form', weight: 0.4, evidence: 'the attached web page contains a form' });
  }
  if (html.includes('window.location') || html.includes('http-equiv="refresh"') || html.includes('location.href') || html.includes('atob(')) {
    reasons.push({ code: 'attachment.html_redirect', weight: 0.35, evidence: 'the attached web page redirects or decodes hidden script' });
  }
  return reasons;
}

export function attachmentReasons(attachments: readonly ParsedAttachment[], limits: AttachmentLimits = DEFAULT_ATTACHMENT_LIMITS): Reason[] {
  const reasons: Reason[] = [];
  for (const a of attachments.slice(0, limits.maxAttachments)) {
    const name = a.filename || '(unnamed)';
    const kind = classifyFileName(a.filename);
    if (kind) reasons.push({ code: `attachment.${kind.code}`, weight: kind.weight, evidence: `attachment "${name}" is ${kind.what}` });
    else if (a.contentType === 'text/html' || a.contentType === 'image/svg+xml') {
      reasons.push({ code: 'attachment.html', weight: 0.35, evidence: `attachment "${name}" is a web page (${a.contentType})` });
    }
    if (doubleExtension(a.filename)) {
      reasons.push({ code: 'attachment.double_extension', weight: 0.6, evidence: `attachment "${name}" hides its real type behind a second extension` });
    }
    const ext = extensionOf(a.filename);
    if ((HTML.has(ext) || a.contentType === 'text/html') && a.content) reasons.push(...scanHtml(a.content, limits));
    if (a.content && isZip(a.content)) reasons.push(...archiveReasons(name, a.content, limits));
    else if (ARCHIVE.has(ext) && ext !== 'zip') {
      reasons.push({ code: 'attachment.archive_unlisted', weight: 0.15, evidence: `attachment "${name}" is a .${ext} archive whose contents were not inspected` });
    }
  }
  return reasons;
}

function archiveReasons(name: string, content: Buffer, limits: AttachmentLimits): Reason[] {
  const listing = listZip(content, limits.maxArchiveEntries);
  const reasons: Reason[] = [];
  if (listing.error) {
    reasons.push({ code: 'attachment.archive_unreadable', weight: 0.25, evidence: `archive "${name}" could not be listed (${listing.error})` });
    return reasons;
  }
  const risky = new Map<string, { kind: Kind; file: string }>();
  let nested = '';
  let encrypted = false;
  for (const e of listing.entries) {
    const kind = classifyFileName(e.name);
    if (kind && !risky.has(kind.code)) risky.set(kind.code, { kind, file: e.name });
    if (doubleExtension(e.name) && !risky.has('double_extension')) {
      risky.set('double_extension', { kind: { code: 'double_extension', weight: 0.6, what: 'a file with a disguised extension' }, file: e.name });
    }
    if (!nested && ARCHIVE.has(extensionOf(e.name))) nested = e.name;
    if (e.encrypted) encrypted = true;
  }
  for (const { kind, file } of risky.values()) {
    reasons.push({ code: `attachment.archive_${kind.code}`, weight: kind.weight, evidence: `archive "${name}" contains "${file}", ${kind.what}` });
  }
  if (nested) reasons.push({ code: 'attachment.archive_nested', weight: 0.25, evidence: `archive "${name}" contains another archive "${nested}" (not opened)` });
  if (encrypted) reasons.push({ code: 'attachment.archive_encrypted', weight: 0.35, evidence: `archive "${name}" is password-protected, so its contents cannot be checked` });
  if (listing.declaredBytes > limits.bombBytes || listing.declaredEntries > limits.maxArchiveEntries) {
    reasons.push({
      code: 'attachment.archive_bomb',
      weight: 0.5,
      evidence: `archive "${name}" declares ${listing.declaredEntries} entries and ${Math.round(listing.declaredBytes / 2 ** 20)} MiB unpacked from ${content.length} bytes`,
    });
  }
  return reasons;
}
