/**
 * src/protection/dlp/secrets.ts reads a JWT's header with Node's
 * `Buffer.from(s, 'base64url')`. In the browser that name does not exist: the
 * detector catches the ReferenceError and a pasted JWT goes unnoticed before
 * sending. This gives the frame exactly that one call, over atob and
 * TextDecoder; buffer.d.ts declares it for the web type check. Once
 * secrets.ts decodes with atob itself, both files go.
 */
const scope = globalThis as { Buffer?: unknown };

if (scope.Buffer === undefined) {
  scope.Buffer = {
    from(data: string, encoding: string) {
      if (encoding !== 'base64url') throw new TypeError(`Unsupported encoding ${encoding}`);
      const base64 = data.replace(/-/g, '+').replace(/_/g, '/');
      const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
      const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
      return { toString: () => new TextDecoder().decode(bytes) };
    },
  };
}

export {};
