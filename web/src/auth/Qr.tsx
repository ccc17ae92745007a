/**
 * A QR code drawn as one SVG path from uqr's boolean matrix: no canvas, no
 * data: URL, no inline style, so it renders under the CSP. Lazy-loaded.
 */
import { encode } from 'uqr';

export default function Qr({ value, label }: { value: string; label: string }) {
  const { data } = encode(value, { ecc: 'M', border: 2 });
  const size = data.length;
  let d = '';
  data.forEach((row, y) => {
    row.forEach((on, x) => {
      if (on) d += `M${x} ${y}h1v1h-1z`;
    });
  });
  return (
    <svg className="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shapeRendering="crispEdges">
      <rect className="qr__light" width={size} height={size} />
      <path className="qr__dark" d={d} />
    </svg>
  );
}
