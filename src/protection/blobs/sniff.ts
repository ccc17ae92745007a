/**
 * Content type from the bytes, not from what the sender claimed (pure), and
 * the reasons an attachment is dangerous to open. Names are made path-safe
 * for display and download headers; storage never uses them.
 */

export interface SniffResult {
  type: string;
  dangerous: boolean;
  reasons: string[];
}

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);
const ascii = (b: Uint8Array, n: number) => Buffer.from(b.subarray(0, n)).toString('latin1');

export function sniffContentType(bytes: Uint8Array): string {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return 'image/gif';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && ascii(bytes.subarray(8), 4) === 'WEBP') return 'image/webp';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) return zipKind(bytes);
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'application/x-ole-storage';
  if (startsWith(bytes, [0x4d, 0x5a])) return 'application/x-msdownload';
  if (startsWith(bytes, [0x7f, 0x45, 0x4c, 0x46])) return 'application/x-executable';
  if (startsWith(bytes, [0xcf, 0xfa, 0xed, 0xfe]) || startsWith(bytes, [0xfe, 0xed, 0xfa, 0xcf]) || startsWith(bytes, [0xca, 0xfe, 0xba, 0xbe])) return 'application/x-mach-binary';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'application/gzip';
  if (startsWith(bytes, [0x52, 0x61, 0x72, 0x21])) return 'application/vnd.rar';
  if (startsWith(bytes, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return 'application/x-7z-compressed';
  if (ascii(bytes, 5) === 'CD001' || ascii(bytes.subarray(0x8001), 5) === 'CD001') return 'application/x-iso9660-image';
  const head = ascii(bytes, 512).trimStart().toLowerCase();
  if (head.startsWith('#!')) return 'text/x-script';
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || head.includes('<script') || head.startsWith('<svg') || head.startsWith('<?xml')) {
    return head.includes('<svg') ? 'image/svg+xml' : head.startsWith('<?xml') ? 'application/xml' : 'text/html';
  }
  return isText(bytes) ? 'text/plain' : 'application/octet-stream';
}

function zipKind(bytes: Uint8Array): string {
  // Office Open XML names its parts in the clear in local file headers; a VBA project means macros.
  const view = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 4 * 1024 * 1024)));
  if (view.includes('vbaProject.bin')) return 'application/vnd.ms-office.macroenabled';
  if (view.includes('word/')) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  if (view.includes('xl/')) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  if (view.includes('ppt/')) return 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
  return 'application/zip';
}

function isText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) {
    const c = bytes[i] as number;
    if (c === 0) return false;
    if (c < 9 || (c > 13 && c < 32 && c !== 27)) return false;
  }
  return true;
}

const EXECUTABLE_EXT = new Set([
  'exe', 'com', 'scr', 'pif', 'cpl', 'msi', 'msp', 'dll', 'bat', 'cmd', 'ps1', 'psm1', 'vbs', 'vbe', 'js', 'jse', 'wsf', 'wsh', 'hta',
  'jar', 'lnk', 'reg', 'sh', 'app', 'dmg', 'pkg', 'iso', 'img', 'vhd', 'vhdx', 'msc', 'scf', 'url', 'appx', 'appxbundle', 'chm', 'xll',
]);
const MACRO_EXT = new Set(['docm', 'dotm', 'xlsm', 'xltm', 'xlam', 'pptm', 'potm', 'ppam', 'ppsm', 'sldm']);
const DANGEROUS_TYPES = new Set(['application/x-msdownload', 'application/x-executable', 'application/x-mach-binary', 'text/x-script', 'application/vnd.ms-office.macroenabled', 'application/x-iso9660-image']);
const ACTIVE_TYPES = new Set(['text/html', 'image/svg+xml']);

export function extensionsOf(filename: string): string[] {
  return filename.toLowerCase().split('.').slice(1).map((e) => e.trim()).filter(Boolean);
}

/** Sniffs the bytes and judges the attachment by its real type, its name and the two together. */
export function inspectAttachment(filename: string, declaredType: string, bytes: Uint8Array): SniffResult {
  const type = sniffContentType(bytes);
  const reasons: string[] = [];
  const exts = extensionsOf(filename);
  const last = exts[exts.length - 1] ?? '';
  if (DANGEROUS_TYPES.has(type)) reasons.push(`content:${type}`);
  if (EXECUTABLE_EXT.has(last)) reasons.push(`extension:${last}`);
  if (MACRO_EXT.has(last)) reasons.push(`macro_extension:${last}`);
  if (ACTIVE_TYPES.has(type) || last === 'html' || last === 'htm' || last === 'svg') reasons.push('active_content');
  if (exts.length >= 2 && (EXECUTABLE_EXT.has(last) || MACRO_EXT.has(last))) reasons.push('double_extension');
  if (type === 'application/x-ole-storage' && ['doc', 'xls', 'ppt'].includes(last)) reasons.push('legacy_office_may_hold_macros');
  const declared = declaredType.toLowerCase().split(';')[0]?.trim() ?? '';
  if (declared && declared !== 'application/octet-stream' && DANGEROUS_TYPES.has(type) && declared !== type) reasons.push('type_mismatch');
  return { type, dangerous: reasons.some((r) => r !== 'legacy_office_may_hold_macros'), reasons };
}

/** A name safe to show and to put in a Content-Disposition header: no paths, no control characters, bounded. */
export function safeFilename(name: string): string {
  // eslint-disable-next-line no-control-regex
  let n = name.normalize('NFC').replace(/[\u0000-\u001f\u007f"\\]/g, '').split(/[/\\]/).pop() ?? '';
  n = n.replace(/^\.+/, '').trim().slice(0, 200);
  return n || 'attachment';
}
