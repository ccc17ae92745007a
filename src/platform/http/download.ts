/**
 * A stored file handed to a browser as a download, never rendered: a safe
 * RFC 6266 name, a type the browser may not second-guess, no caching, and a
 * sandboxing CSP in case it is opened anyway. Used by the agent and portal
 * download routes.
 */
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';

/** The OpenAPI shape of a download's body. */
export const Binary = Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });

/** RFC 6266 attachment header: an ASCII fallback plus the UTF-8 name; quotes, slashes and control characters never pass. */
export function contentDisposition(filename: string | null): string {
  const name = (filename ?? 'attachment').replace(/[\u0000-\u001f\u007f"\\/]/g, '_').slice(0, 200) || 'attachment';
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function sendDownload(reply: FastifyReply, file: { filename: string | null; bytes: Uint8Array; contentType: string }): FastifyReply {
  return reply
    .header('content-type', file.contentType)
    .header('content-disposition', contentDisposition(file.filename))
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'private, no-store')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .send(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength));
}
