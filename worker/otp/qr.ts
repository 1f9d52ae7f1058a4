/** QR codes as SVG (uqr: small, no canvas, runs in workerd), for enrolment pages. */
import { renderSVG } from 'uqr';

export function renderQrSvg(text: string): string {
  return renderSVG(text, { ecc: 'M', border: 2 });
}
