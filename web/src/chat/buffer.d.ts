/** The one Buffer call the bundled DLP detectors make, provided in the frame by buffer-shim.ts. */
declare const Buffer: { from(data: string, encoding: 'base64url'): { toString(encoding: 'utf8'): string } };
