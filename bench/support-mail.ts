/** The customer message the ingest benches send: plain text, one in ten with a card number the pipeline redacts. */
export function supportMailBody(i: number): string {
  return [
    `Hello, order ${100000 + i} has not arrived yet and the tracking page shows no update since Monday.`,
    'Could you check with the courier and let me know? I have attached nothing, this is plain text.',
    i % 10 === 0 ? 'My card was 4111 1111 1111 1111, please refund it.' : 'Thanks for your help.',
    'Kind regards',
  ].join('\n\n');
}
