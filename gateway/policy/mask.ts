import type { MaskKind } from './share-rules';

/** 138****5678 */
function maskPhone(value: string): string {
  return value.length >= 7 ? `${value.slice(0, 3)}****${value.slice(-4)}` : '****';
}

/** Keeps the administrative part of an address (province, city, county) and hides the rest. */
function maskAddress(value: string): string {
  const m = /^(.*?(?:省|自治区|市))?(.*?(?:市|自治州|地区|盟))?(.*?(?:区|县|市|旗))/.exec(value);
  const kept = m ? m[0] : value.slice(0, 6);
  return `${kept}****`;
}

export function maskValue(kind: MaskKind, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return kind === 'PHONE' ? maskPhone(value) : maskAddress(value);
}
