/**
 * GetRandomPassword with the service's character classes and rules, drawn from node:crypto.
 */
import { randomInt } from 'node:crypto';
import { invalidParameter } from './service-error.js';

export const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
export const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const DIGITS = '0123456789';
/** The punctuation set the service documents for GetRandomPassword. */
export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export interface RandomPasswordOptions {
  passwordLength?: number;
  excludeCharacters?: string;
  excludeNumbers?: boolean;
  excludePunctuation?: boolean;
  excludeUppercase?: boolean;
  excludeLowercase?: boolean;
  includeSpace?: boolean;
  requireEachIncludedType?: boolean;
}

function pick(characters: string): string {
  return characters.charAt(randomInt(characters.length));
}

export function generateRandomPassword(options: RandomPasswordOptions = {}): string {
  const length = options.passwordLength ?? 32;
  const excluded = new Set(options.excludeCharacters ?? '');
  const keep = (characters: string): string =>
    characters
      .split('')
      .filter((c) => !excluded.has(c))
      .join('');

  // Character types the caller left in; a type whose every character is excluded is not "included".
  const types = [
    options.excludeLowercase ? '' : keep(LOWERCASE),
    options.excludeUppercase ? '' : keep(UPPERCASE),
    options.excludeNumbers ? '' : keep(DIGITS),
    options.excludePunctuation ? '' : keep(PUNCTUATION),
  ].filter((characters) => characters.length > 0);
  const space = options.includeSpace && !excluded.has(' ') ? ' ' : '';
  const alphabet = types.join('') + space;

  if (alphabet.length === 0) {
    throw invalidParameter('The password cannot be generated because every character type is excluded.');
  }
  const requireEach = options.requireEachIncludedType ?? true;
  if (requireEach && length < types.length) {
    throw invalidParameter('Password length is too short based on the required types.');
  }

  const characters = requireEach ? types.map(pick) : [];
  while (characters.length < length) characters.push(pick(alphabet));

  // Fisher–Yates, so the guaranteed characters are not always at the front.
  for (let i = characters.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [characters[i], characters[j]] = [characters[j] as string, characters[i] as string];
  }
  return characters.join('');
}
