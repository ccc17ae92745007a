/** This area's screens are being built; until then every path in it is "not found". */
import { NotFound } from '../shell/NotFound.js';

export default function Area() {
  return <NotFound />;
}
